using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;

namespace Orleans.Kafka.Silo;

/// <summary>The validated clustering choice of one silo process (from section <c>Orleans</c> and <c>DATABASE_URL</c>).</summary>
public sealed record ClusteringSettings(
    bool UsePostgres,
    string? ConnectionString,
    string ClusterId,
    string ServiceId,
    IPAddress AdvertisedAddress,
    int SiloPort,
    int GatewayPort,
    bool ListenOnAnyHostAddress,
    bool KafkaListener = true)
{
    /// <summary>Reads and validates the settings; throws <see cref="ClusteringConfigurationException"/> with the setting's name when one is wrong.</summary>
    public static ClusteringSettings FromConfiguration(IConfiguration configuration)
    {
        var options = configuration.GetSection(OrleansHostOptions.SectionName).Get<OrleansHostOptions>() ?? new OrleansHostOptions();
        var mode = (options.ClusteringMode ?? "").Trim().ToLowerInvariant();
        if (mode is not (ClusteringModes.Embedded or ClusteringModes.Postgres))
        {
            throw new ClusteringConfigurationException(
                $"Orleans:ClusteringMode must be '{ClusteringModes.Embedded}' or '{ClusteringModes.Postgres}', got '{options.ClusteringMode}'");
        }

        CheckPort(options.SiloPort, "Orleans:SiloPort");
        CheckPort(options.GatewayPort, "Orleans:GatewayPort");
        if (options.SiloPort == options.GatewayPort)
            throw new ClusteringConfigurationException($"Orleans:SiloPort and Orleans:GatewayPort must differ (both {options.SiloPort})");

        if (mode == ClusteringModes.Embedded)
        {
            return new ClusteringSettings(false, null, "dev", "dev", IPAddress.Loopback, options.SiloPort, options.GatewayPort, false, options.KafkaListener);
        }

        var connectionString = PostgresConnectionString.Resolve(options.ConnectionString, configuration["DATABASE_URL"])
            ?? throw new ClusteringConfigurationException(
                "Orleans:ClusteringMode=postgres needs a database: set Orleans:ConnectionString (Npgsql form, e.g. " +
                "'Host=127.0.0.1;Port=5432;Database=okafka;Username=okafka;Password=...') or DATABASE_URL (postgres://user:password@host:port/database)");
        CheckName(options.ClusterId, "Orleans:ClusterId");
        CheckName(options.ServiceId, "Orleans:ServiceId");
        return new ClusteringSettings(
            true,
            connectionString,
            options.ClusterId,
            options.ServiceId,
            ResolveAddress(options.AdvertisedIPAddress),
            options.SiloPort,
            options.GatewayPort,
            options.ListenOnAnyHostAddress,
            options.KafkaListener);
    }

    private static void CheckPort(int port, string setting)
    {
        if (port is < 1 or > 65535)
            throw new ClusteringConfigurationException($"{setting} must be a TCP port (1-65535), got {port}");
    }

    private static void CheckName(string? value, string setting)
    {
        // The ADO.NET tables hold these in varchar(150) columns.
        if (string.IsNullOrWhiteSpace(value) || value.Length > 150)
            throw new ClusteringConfigurationException($"{setting} must be a non-empty name of at most 150 characters, got '{value}'");
    }

    private static IPAddress ResolveAddress(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ClusteringConfigurationException("Orleans:AdvertisedIPAddress must be set in postgres mode (the address other silos reach this one at)");
        if (IPAddress.TryParse(value, out var address)) return address;
        try
        {
            // A host name (e.g. a compose service name) is resolved once, at start-up: Orleans advertises addresses, not names.
            return Dns.GetHostAddresses(value).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new ClusteringConfigurationException($"Orleans:AdvertisedIPAddress '{value}' has no IPv4 address");
        }
        catch (SocketException e)
        {
            throw new ClusteringConfigurationException($"Orleans:AdvertisedIPAddress '{value}' is neither an IP address nor a resolvable host name: {e.Message}", e);
        }
    }
}
