using Orleans.Concurrency;

namespace Orleans.Kafka.Groups;

/// <summary>Where the group's coordinator runs, so FindCoordinator can name the gateway beside it.</summary>
public partial interface IConsumerGroupGrain
{
    /// <summary>The silo id of the silo hosting this activation, or null when that silo has no silo identity.</summary>
    [AlwaysInterleave, Alias("GetHostSiloId")]
    Task<int?> GetHostSiloId();
}
