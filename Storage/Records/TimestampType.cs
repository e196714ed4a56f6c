namespace Orleans.Kafka.Storage.Records;

/// <summary>Batch attribute bit 3: whose clock the record timestamps come from.</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
