namespace Orleans.Kafka.Storage.Log;

/// <summary>What one append stored: the produce response fields.</summary>
/// <param name="FirstOffset">Base offset assigned to the first batch.</param>
/// <param name="LastOffset">Last offset of the last batch.</param>
/// <param name="LogAppendTime">The broker time stamped on the batches under LogAppendTime; -1 under CreateTime.</param>
/// <param name="LogStartOffset">The log start offset after the append.</param>
/// <param name="BatchCount">Batches appended.</param>
/// <param name="RecordCount">Records appended (from the batch headers).</param>
/// <param name="MaxTimestamp">Largest batch max timestamp appended.</param>
public readonly record struct AppendResult(long FirstOffset, long LastOffset, long LogAppendTime, long LogStartOffset, int BatchCount, long RecordCount, long MaxTimestamp);
