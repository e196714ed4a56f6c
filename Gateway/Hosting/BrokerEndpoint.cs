using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;

namespace Orleans.Kafka.Gateway.Hosting;

/// <summary>
/// This gateway as a broker in clients' eyes: node id and the address Metadata and DescribeCluster advertise.
/// The port is the one the listener actually bound (so listener.port=0 works) unless advertised.port says otherwise.
/// </summary>
public sealed class BrokerEndpoint(IOptions<BrokerOptions> options)
{
    private readonly BrokerOptions _options = options.Value;
    private ListenOptions? _listener;

    public int NodeId => _options.NodeId;

    /// <summary>Records the Kafka listener; Kestrel fills in its bound endpoint when it starts.</summary>
    internal void Attach(ListenOptions listener) => _listener = listener;

    /// <summary>The listener's bound endpoint once Kestrel has started; null before.</summary>
    public IPEndPoint? BoundEndPoint => _listener?.EndPoint as IPEndPoint;

    /// <summary>
    /// The advertised host: advertised.host, else listener.host; a wildcard listener advertises the
    /// address the client connected to (<paramref name="local"/>), as that is known to reach us.
    /// </summary>
    public string Host(EndPoint? local)
    {
        if (!string.IsNullOrEmpty(_options.AdvertisedHost))
        {
            return _options.AdvertisedHost;
        }

        var host = _options.ListenerHost;
        var wildcard = string.IsNullOrEmpty(host) || host == "*" || host == "+"
            || (IPAddress.TryParse(host, out var address) && (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)));
        if (wildcard && local is IPEndPoint localIp)
        {
            var ip = localIp.Address.IsIPv4MappedToIPv6 ? localIp.Address.MapToIPv4() : localIp.Address;
            return ip.ToString();
        }

        return wildcard ? Dns.GetHostName() : host;
    }

    /// <summary>The advertised port: advertised.port, else the bound port, else the port the client reached, else listener.port.</summary>
    public int Port(EndPoint? local)
    {
        if (_options.AdvertisedPort is { } advertised)
        {
            return advertised;
        }

        if (BoundEndPoint is { Port: > 0 } bound)
        {
            return bound.Port;
        }

        return local is IPEndPoint { Port: > 0 } reached ? reached.Port : _options.ListenerPort;
    }
}
