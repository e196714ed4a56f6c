namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// Result of <see cref="ProducerStateManager.CheckAndPrepare"/>. For <see cref="ProducerAppendStatus.Duplicate"/>
/// the offsets and timestamp are those the original batch got; otherwise they are -1.
/// </summary>
public readonly record struct ProducerAppendCheck(
    ProducerAppendStatus Status,
    long DuplicateFirstOffset = -1,
    long DuplicateLastOffset = -1,
    long DuplicateTimestamp = -1,
    string? Message = null)
{
    public static ProducerAppendCheck Ok { get; } = new(ProducerAppendStatus.Ok);

    public bool IsOk => Status == ProducerAppendStatus.Ok;
}
