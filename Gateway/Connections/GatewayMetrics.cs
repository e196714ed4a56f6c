using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orleans.Kafka.Gateway.Connections;

/// <summary>The gateway's instruments (meter <see cref="MeterName"/>): open connections, requests and their latency per API, forced closes.</summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "Orleans.Kafka.Gateway";

    private readonly UpDownCounter<long> _connections;
    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _forcedCloses;

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(MeterName);
        _connections = meter.CreateUpDownCounter<long>("kafka.gateway.connections", "{connection}", "Open Kafka client connections.");
        _requests = meter.CreateCounter<long>("kafka.gateway.requests", "{request}", "Kafka requests handled, by API.");
        _duration = meter.CreateHistogram<double>("kafka.gateway.request.duration", "s", "Time from decoding a request to its handler's completion, by API.");
        _forcedCloses = meter.CreateCounter<long>("kafka.gateway.connections.closed", "{connection}", "Connections the gateway closed because of what the client sent or a handler failure.");
    }

    internal void ConnectionOpened() => _connections.Add(1);

    internal void ConnectionEnded() => _connections.Add(-1);

    internal void ConnectionForciblyClosed() => _forcedCloses.Add(1);

    internal void RequestHandled(string api, long startedTimestamp)
    {
        var tag = new KeyValuePair<string, object?>("kafka.api", api);
        _requests.Add(1, tag);
        _duration.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds, tag);
    }
}
