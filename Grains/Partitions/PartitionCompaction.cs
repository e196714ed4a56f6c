using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Storage.Compaction;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Background compaction of one open partition log (topics whose <c>cleanup.policy</c> contains <c>compact</c>): a
/// loop on the thread pool runs a <see cref="LogCleaner"/> pass, then waits <c>log.cleaner.backoff.ms</c> or until
/// <see cref="Kick"/> (the grain's maintenance) wakes it. Passes never run on the grain's scheduler and the grain never
/// awaits one, so appends and fetches go on during a pass; the cleaner touches the log only through
/// <see cref="PartitionLog.ReplaceSegments"/>, which takes the log's writer lock for its short swap (the log's
/// threading contract). One loop per open log, so at most one pass at a time per partition.
/// </summary>
/// <remarks>
/// Retention under <c>compact,delete</c> stays with the grain (it also trims producer snapshots after it), so the
/// cleaner is configured for <c>compact</c> alone. <see cref="StopAsync"/> cancels the loop and waits for the pass in
/// flight to end: the log must not be closed, reopened or deleted under a pass that is still writing its
/// <c>.cleaned</c> file. The cleaner checks cancellation between segment groups, so the wait is at most one group's
/// rewrite (≤ <c>segment.bytes</c> read and written).
/// </remarks>
internal sealed partial class PartitionCompaction
{
    private readonly LogCleaner _cleaner;
    private readonly TimeSpan _backoff;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly CancellationTokenSource _stop = new();
    // Capacity 1, extra kicks dropped: a pending wake-up already means "run a pass soon".
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private Task? _loop;

    private PartitionCompaction(LogCleaner cleaner, TimeSpan backoff, ILogger logger, string name)
    {
        _cleaner = cleaner;
        _backoff = backoff;
        _logger = logger;
        _name = name;
    }

    /// <summary>The cleaner's settings (from the topic's configs).</summary>
    public CleanerConfig Config => _cleaner.Config;

    /// <summary>True once <see cref="StopAsync"/> has finished: no pass runs and none will.</summary>
    public bool IsStopped { get; private set; }

    /// <summary>The result of the last finished pass (null before the first).</summary>
    public CleanerResult? LastResult { get; private set; }

    /// <summary>True when <c>cleanup.policy</c> (override or Kafka's default <c>delete</c>) contains <c>compact</c>.</summary>
    public static bool Compacts(IReadOnlyDictionary<string, string> overrides) =>
        TopicConfigCatalog.GetList(overrides, "cleanup.policy").Contains("compact");

    /// <summary>The cleaner settings a topic's configs give (Kafka's names; the log's own config carries <c>segment.bytes</c>).</summary>
    public static CleanerConfig ConfigFrom(IReadOnlyDictionary<string, string> overrides)
    {
        var minLag = TopicConfigCatalog.GetLong(overrides, "min.compaction.lag.ms");
        return new CleanerConfig
        {
            CleanupPolicy = CleanupPolicy.Compact,
            MinCleanableDirtyRatio = TopicConfigCatalog.GetDouble(overrides, "min.cleanable.dirty.ratio"),
            DeleteRetentionMs = TopicConfigCatalog.GetLong(overrides, "delete.retention.ms"),
            MinCompactionLagMs = minLag,
            // The catalogue checks each value alone; a max lag below the min lag (which the cleaner refuses) can only
            // mean "clean as soon as the min lag allows", so it must not keep the partition from opening.
            MaxCompactionLagMs = Math.Max(TopicConfigCatalog.GetLong(overrides, "max.compaction.lag.ms"), Math.Max(minLag, 1)),
        };
    }

    /// <summary>Starts compacting <paramref name="log"/> when the topic's policy asks for it; null otherwise.</summary>
    public static PartitionCompaction? StartIfCompacted(
        PartitionLog log,
        IReadOnlyDictionary<string, string> overrides,
        TimeSpan backoff,
        TimeProvider time,
        ILogger<LogCleaner>? cleanerLogger,
        ILogger logger,
        string name)
    {
        if (!Compacts(overrides))
        {
            return null;
        }

        var compaction = new PartitionCompaction(new LogCleaner(log, ConfigFrom(overrides), time, cleanerLogger), backoff, logger, name);
        // Task.Run: the loop must not start on (and its continuations not return to) the grain's scheduler.
        compaction._loop = Task.Run(() => compaction.LoopAsync(compaction._stop.Token));
        return compaction;
    }

    /// <summary>
    /// <see cref="StartIfCompacted(PartitionLog, IReadOnlyDictionary{string, string}, TimeSpan, TimeProvider, ILogger{LogCleaner}?, ILogger, string)"/>
    /// with the broker's <c>log.cleaner.backoff.ms</c> and the silo's cleaner logger: what the leader and follower copies use.
    /// </summary>
    public static PartitionCompaction? StartIfCompacted(
        PartitionLog log, IReadOnlyDictionary<string, string> overrides, BrokerOptions broker, TimeProvider time, IServiceProvider services, ILogger logger, string name) =>
        StartIfCompacted(
            log,
            overrides,
            TimeSpan.FromMilliseconds(Math.Max(1, broker.LogCleanerBackoffMs)),
            time,
            (ILogger<LogCleaner>?)services.GetService(typeof(ILogger<LogCleaner>)),
            logger,
            name);

    /// <summary>Asks for a pass now instead of after the back-off; returns at once (a running pass is not repeated).</summary>
    public void Kick() => _wake.Writer.TryWrite(true);

    /// <summary>Stops the loop and waits until no pass runs; the log may then be closed or deleted.</summary>
    public async Task StopAsync()
    {
        _wake.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is { } loop)
        {
            // The loop logs its own failures; here only its end matters.
            await loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stop.Dispose();
        IsStopped = true;
    }

    private async Task LoopAsync(CancellationToken cancellation)
    {
        while (!cancellation.IsCancellationRequested)
        {
            try
            {
                var result = await _cleaner.CleanAsync(force: false, cancellation).ConfigureAwait(false);
                LastResult = result;
                if (result.Cleaned)
                {
                    LogCleaned(_logger, _name, result.SegmentsRewritten, result.RecordsRead, result.RecordsRetained, result.CleanedUpTo);
                }
            }
            catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                // The log is untouched by a failed pass (the swap is its commit point); the next pass retries.
                LogPassFailed(_logger, ex, _name);
            }
            catch (ObjectDisposedException ex)
            {
                // The log was closed under the loop (it should have been stopped first): nothing more to clean.
                LogPassFailed(_logger, ex, _name);
                return;
            }

            if (!await WaitForNextPassAsync(cancellation).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Waits for the back-off or a kick; false when stopping.</summary>
    private async Task<bool> WaitForNextPassAsync(CancellationToken cancellation)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(_backoff);
        try
        {
            return await _wake.Reader.WaitToReadAsync(timeout.Token).ConfigureAwait(false) && _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return true; // the back-off passed
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3330, Level = LogLevel.Debug, Message = "Partition {Partition} compacted: {Segments} segment(s) rewritten, {Retained}/{Read} records kept, clean up to {CleanedUpTo}")]
    private static partial void LogCleaned(ILogger logger, string partition, int segments, long read, long retained, long cleanedUpTo);

    [LoggerMessage(EventId = 3331, Level = LogLevel.Warning, Message = "Partition {Partition}: a compaction pass failed; the next one retries")]
    private static partial void LogPassFailed(ILogger logger, Exception exception, string partition);
}
