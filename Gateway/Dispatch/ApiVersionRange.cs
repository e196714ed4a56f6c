using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Dispatch;

/// <summary>One API and the request versions this gateway serves, as ApiVersions advertises it.</summary>
public readonly record struct ApiVersionRange(ApiKey ApiKey, short MinVersion, short MaxVersion)
{
    public bool Contains(short version) => version >= MinVersion && version <= MaxVersion;
}
