namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// What <see cref="ProducerStateManager.LoadLatestSnapshot"/> found: the offset to replay the log
/// from (null: no usable snapshot, replay from the log start) and the corrupt files it skipped.
/// </summary>
public sealed record ProducerSnapshotLoad(long? SnapshotOffset, IReadOnlyList<string> SkippedCorruptFiles);
