namespace Orleans.Kafka.Protocol;

/// <summary>Hand-written additions to the generated API table.</summary>
public static partial class ApiMessageTypes
{
    /// <summary>The API for a key this code implements; throws for an unknown key.</summary>
    public static ApiMessageInfo Get(ApiKey apiKey) =>
        TryGet((short)apiKey, out var info)
            ? info
            : throw new ArgumentOutOfRangeException(nameof(apiKey), apiKey, "Unknown Kafka API key.");
}
