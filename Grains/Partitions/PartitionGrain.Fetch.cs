using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Grains.Partitions;

public sealed partial class PartitionGrain
{
    public async Task<FetchResult> Fetch(FetchCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (error, open) = await ResolveAsync(command.TopicId);
        return FetchResolved(command, error, open);
    }

    private FetchResult FetchResolved(FetchCommand command, KafkaErrorCode error, OpenPartition open)
    {
        if (error == KafkaErrorCode.None)
        {
            error = CheckLeaderEpoch(open, command.CurrentLeaderEpoch);
        }

        if (error != KafkaErrorCode.None)
        {
            return FetchResult.Failed(error);
        }

        var hw = HighWatermark(open);
        var lso = LastStableOffset(open);
        var start = open.Log.LogStartOffset;
        // Out of range is judged against the log end, as Kafka does: between the high watermark and the log end (a new
        // leader whose high watermark has not caught up with what its predecessor exposed) the answer is empty.
        var logEnd = open.Log.LogEndOffset;
        if (command.FetchOffset < start || command.FetchOffset > logEnd)
        {
            return new FetchResult(KafkaErrorCode.OffsetOutOfRange, hw, lso, start, ReadOnlyMemory<byte>.Empty,
                $"Fetch offset {command.FetchOffset} is outside [{start}, {logEnd}].");
        }

        var end = command.Isolation == FetchIsolation.ReadCommitted ? lso : hw;
        if (command.FetchOffset >= end)
        {
            return new FetchResult(KafkaErrorCode.None, hw, lso, start, ReadOnlyMemory<byte>.Empty);
        }

        try
        {
            // The pooled buffer is handed to the response rather than copied: it is never returned to the pool (the GC
            // reclaims it once the response is written), which is what lets records cross the grain call uncopied.
#pragma warning disable CA2000 // ownership of the buffer moves to the result
            var read = open.Log.Read(command.FetchOffset, Math.Max(command.MaxBytes, 0), end);
#pragma warning restore CA2000
            return new FetchResult(KafkaErrorCode.None, hw, lso, read.LogStartOffset, read.Records);
        }
        catch (LogException ex) when (ex.Kind == LogErrorKind.OffsetOutOfRange)
        {
            // Retention or DeleteRecords moved the start past the offset between the check and the read.
            return new FetchResult(KafkaErrorCode.OffsetOutOfRange, hw, lso, open.Log.LogStartOffset, ReadOnlyMemory<byte>.Empty, ex.Message);
        }
    }

    public Task<int> GetWaiterCount() => Task.FromResult(_waiters);

    public async Task<bool> WaitForData(Guid topicId, long offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _waiters++;
        try
        {
            return await WaitForDataCore(topicId, offset, timeout, cancellationToken);
        }
        finally
        {
            _waiters--;
        }
    }

    private async Task<bool> WaitForDataCore(Guid topicId, long offset, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp();
        while (true)
        {
            if (_open is not { } open || (topicId != Guid.Empty && open.TopicId != topicId) || HighWatermark(open) > offset)
            {
                // Data, or a state the fetch must report (closed, replaced): either way the caller fetches again now.
                return true;
            }

            var remaining = timeout - _time.GetElapsedTime(deadline);
            if (remaining <= TimeSpan.Zero || cancellationToken.IsCancellationRequested)
            {
                return false;
            }

            try
            {
                await _dataArrived.Task.WaitAsync(remaining, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return false;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }
}
