namespace Orleans.Kafka.Storage.Log;

/// <summary>Why the log refused an operation; each maps to one Kafka error code.</summary>
public enum LogErrorKind
{
    /// <summary>Bad CRC, header, magic or truncated batch: CORRUPT_MESSAGE.</summary>
    CorruptMessage,

    /// <summary>Records that break the format's rules: INVALID_RECORD.</summary>
    InvalidRecord,

    /// <summary>A batch larger than <c>max.message.bytes</c>: MESSAGE_TOO_LARGE.</summary>
    MessageTooLarge,

    /// <summary>The appended batches do not fit in one segment: RECORD_LIST_TOO_LARGE.</summary>
    RecordListTooLarge,

    /// <summary>A CreateTime timestamp outside the allowed window: INVALID_TIMESTAMP.</summary>
    InvalidTimestamp,

    /// <summary>An offset below the log start or above the log end: OFFSET_OUT_OF_RANGE.</summary>
    OffsetOutOfRange,

    /// <summary>A replicated batch whose offsets do not follow the log end: UNKNOWN_SERVER_ERROR on a follower.</summary>
    NonMonotonicOffset,

    /// <summary>
    /// A checkpoint file beside the segments (e.g. <c>leader-epoch-checkpoint</c>) is unreadable:
    /// KAFKA_STORAGE_ERROR, as Kafka treats a bad checkpoint as a failed log directory.
    /// </summary>
    CorruptCheckpoint,
}

/// <summary>
/// A refused log operation. An append that throws this wrote nothing.
/// </summary>
public sealed class LogException : Exception
{
    public LogException(LogErrorKind kind, string message)
        : base(message)
    {
        Kind = kind;
    }

    public LogException(LogErrorKind kind, string message, Exception inner)
        : base(message, inner)
    {
        Kind = kind;
    }

    public LogException()
    {
    }

    public LogException(string message)
        : base(message)
    {
    }

    public LogException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public LogErrorKind Kind { get; }
}
