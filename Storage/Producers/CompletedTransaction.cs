namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// A transaction ended by a control batch: its records span [FirstOffset, MarkerOffset]. The log
/// keeps aborted ones in its transaction index (the AbortedTransactions of a READ_COMMITTED fetch).
/// </summary>
public readonly record struct CompletedTransaction(long ProducerId, long FirstOffset, long MarkerOffset, bool IsAborted);
