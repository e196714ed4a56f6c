namespace Orleans.Kafka.Storage.Records;

/// <summary>What is wrong with a record batch, in the two classes Kafka's error codes separate.</summary>
public enum BatchError
{
    None = 0,

    /// <summary>Bad size, magic, CRC or truncated bytes: Kafka's CORRUPT_MESSAGE.</summary>
    Corrupt,

    /// <summary>Intact bytes whose records break the format's rules: Kafka's INVALID_RECORD.</summary>
    InvalidRecord,
}
