using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Storage.Compaction;

internal static partial class CleanerLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Cleaned {Directory} up to offset {CleanedUpTo}: {Segments} segments, {BytesRead} -> {BytesWritten} bytes, {Retained}/{Read} records kept, {Invalid} without key dropped")]
    public static partial void Cleaned(ILogger logger, string directory, long cleanedUpTo, int segments, long bytesRead, long bytesWritten, long retained, long read, long invalid);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Debug, Message = "Skipped cleaning {Directory}: dirty ratio {Ratio:F3} below {Min}")]
    public static partial void Skipped(ILogger logger, string directory, double ratio, double min);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Cleaning {Directory} stopped: the segments changed underneath ({Reason}); the next pass retries")]
    public static partial void Aborted(ILogger logger, string directory, string reason);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Error, Message = "Cleaning {Directory} failed; the log is unchanged and the next pass retries")]
    public static partial void PassFailed(ILogger logger, Exception exception, string directory);
}
