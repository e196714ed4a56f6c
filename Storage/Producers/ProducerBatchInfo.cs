namespace Orleans.Kafka.Storage.Producers;

/// <summary>One recently appended batch of a producer: its sequence range and where it landed.</summary>
public readonly record struct ProducerBatchInfo(int FirstSequence, int LastSequence, long FirstOffset, long LastOffset, long Timestamp);
