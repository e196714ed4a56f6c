namespace Orleans.Kafka.Storage.Compaction;

/// <summary>Kafka's <c>cleanup.policy</c>: a list of <c>delete</c> and/or <c>compact</c>.</summary>
[Flags]
public enum CleanupPolicy
{
    None = 0,

    /// <summary>Whole segments go once retention.ms / retention.bytes pass them (the log owner's <c>ApplyRetention</c>).</summary>
    Delete = 1,

    /// <summary>Closed segments keep the newest record per key (<see cref="LogCleaner"/>).</summary>
    Compact = 2,
}

public static class CleanupPolicies
{
    /// <summary>Parses Kafka's comma-separated form (<c>compact,delete</c>, order and spaces free).</summary>
    /// <exception cref="ArgumentException">An unknown or empty policy.</exception>
    public static CleanupPolicy Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var policy = CleanupPolicy.None;
        foreach (var part in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            policy |= part switch
            {
                "delete" => CleanupPolicy.Delete,
                "compact" => CleanupPolicy.Compact,
                _ => throw new ArgumentException($"Unknown cleanup.policy '{part}'.", nameof(value)),
            };
        }

        return policy != CleanupPolicy.None ? policy : throw new ArgumentException("cleanup.policy is empty.", nameof(value));
    }
}
