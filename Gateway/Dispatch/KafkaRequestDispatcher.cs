using System.Diagnostics.CodeAnalysis;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Dispatch;

/// <summary>
/// Knows which APIs and versions this gateway serves and routes decoded requests to their handlers.
/// ApiVersions is answered here (see the ApiVersions partial), because it describes the dispatcher itself.
/// </summary>
public sealed partial class KafkaRequestDispatcher
{
    private readonly Dictionary<short, Route> _routes = [];

    public KafkaRequestDispatcher(IEnumerable<IKafkaApiHandler> handlers)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        AddRoute(new ApiVersionsHandler(this));
        foreach (var handler in handlers)
        {
            AddRoute(handler);
        }

        SupportedApis = [.. _routes.Values.Select(r => r.Range).OrderBy(r => (short)r.ApiKey)];
    }

    /// <summary>Every served API with its version range, ordered by API key: what ApiVersions advertises.</summary>
    public IReadOnlyList<ApiVersionRange> SupportedApis { get; }

    /// <summary>Finds the handler for an API key, whatever the version; false for an API this gateway does not serve.</summary>
    internal bool TryGetRoute(short apiKey, [NotNullWhen(true)] out Route? route) => _routes.TryGetValue(apiKey, out route);

    private void AddRoute(IKafkaApiHandler handler)
    {
        if (!ApiMessageTypes.TryGet((short)handler.ApiKey, out var info) || info is null)
        {
            throw new InvalidOperationException($"{handler.GetType().Name} serves API key {(short)handler.ApiKey}, which the protocol library does not define.");
        }

        // Advertise only versions both the handler implements and the generated messages can parse.
        var min = Math.Max(handler.MinVersion, info.LowestVersion);
        var max = Math.Min(handler.MaxVersion, info.HighestVersion);
        if (min > max)
        {
            throw new InvalidOperationException($"{handler.GetType().Name} serves {info.Name} v{handler.MinVersion}-{handler.MaxVersion}, none of which the protocol library supports (v{info.LowestVersion}-{info.HighestVersion}).");
        }

        if (!_routes.TryAdd((short)handler.ApiKey, new Route(info, handler, new ApiVersionRange(handler.ApiKey, (short)min, (short)max))))
        {
            throw new InvalidOperationException($"Two handlers are registered for {info.Name}: {_routes[(short)handler.ApiKey].Handler.GetType().Name} and {handler.GetType().Name}.");
        }
    }

    /// <summary>An API this gateway serves: its message types, handler and served versions.</summary>
    internal sealed record Route(ApiMessageInfo Info, IKafkaApiHandler Handler, ApiVersionRange Range);
}
