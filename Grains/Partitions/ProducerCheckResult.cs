using Orleans.Kafka.Storage.Producers;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// What <see cref="ProducerStateTracker.Check"/> says about a batch. <see cref="Status"/> values
/// are Kafka error codes. For <see cref="ProducerAppendStatus.Duplicate"/> the batch must not be
/// appended: the broker answers NONE with the original batch's offsets
/// (<see cref="DuplicateFirstOffset"/>..<see cref="DuplicateLastOffset"/>); otherwise both are -1.
/// </summary>
internal readonly record struct ProducerCheckResult(ProducerAppendStatus Status, long DuplicateFirstOffset, long DuplicateLastOffset, string? Message)
{
    public static ProducerCheckResult Ok { get; } = new(ProducerAppendStatus.Ok, -1, -1, null);

    public bool IsOk => Status == ProducerAppendStatus.Ok;

    public bool IsDuplicate => Status == ProducerAppendStatus.Duplicate;
}
