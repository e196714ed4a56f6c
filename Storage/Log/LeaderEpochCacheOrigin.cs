namespace Orleans.Kafka.Storage.Log;

/// <summary>Where <see cref="LeaderEpochCache.Open"/> got its entries from (for the caller's log line).</summary>
public enum LeaderEpochCacheOrigin
{
    /// <summary>No checkpoint file and no data: a new, empty cache.</summary>
    Empty,

    /// <summary>Read from <c>leader-epoch-checkpoint</c>.</summary>
    Checkpoint,

    /// <summary>Rebuilt from the batches' partitionLeaderEpoch fields (file missing or unreadable) and persisted.</summary>
    Rebuilt,
}
