using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

public sealed partial class PartitionLog
{
    /// <summary>
    /// Visits the header of every batch from the one holding <paramref name="fromOffset"/> (or the
    /// log start, if later) to the log end, oldest first, reading only headers and checking no
    /// CRC. Segments are not deleted while it runs (it shares the lock reads take). Return false
    /// from <paramref name="visit"/> to stop.
    /// </summary>
    public void VisitBatchHeaders(long fromOffset, Func<RecordBatchHeader, bool> visit)
    {
        ArgumentNullException.ThrowIfNull(visit);
        _structure.EnterReadLock();
        try
        {
            ThrowIfClosed();
            var state = Volatile.Read(ref _state);
            var from = Math.Max(fromOffset, state.LogStartOffset);
            var stopped = false;
            for (var i = state.SegmentFor(from); i < state.Segments.Length && !stopped; i++)
            {
                var segment = state.Segments[i];
                var end = segment.End;
                var position = segment.FindPosition(from, end);
                if (position < 0)
                {
                    continue;
                }

                segment.ScanHeaders(position, end, (in RecordBatchHeader header, long _) =>
                {
                    stopped = !visit(header);
                    return !stopped;
                });
            }
        }
        finally
        {
            _structure.ExitReadLock();
        }
    }
}
