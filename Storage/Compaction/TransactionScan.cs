using System.Buffers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// What the cleaner must know about producers before it drops anything, gathered in one pass
/// over the closed segments: which transactional batches were aborted (Kafka reads this from
/// the aborted-transaction index), where the first still-open transaction starts (the cleaner
/// never passes it: its fate is unknown), and each producer's last batch (kept, if only as an
/// empty header, so the producer's sequence state survives cleaning).
/// </summary>
internal sealed class TransactionScan
{
    private readonly HashSet<long> _abortedBatches = [];
    private readonly Dictionary<long, long> _lastBatchOfProducer = [];

    /// <summary>First offset of the oldest transaction without a marker in the closed segments; long.MaxValue if none.</summary>
    public long FirstUnstableOffset { get; private set; } = long.MaxValue;

    /// <summary>True when the transactional data batch starting at <paramref name="baseOffset"/> belongs to an aborted transaction.</summary>
    public bool IsAborted(long baseOffset) => _abortedBatches.Contains(baseOffset);

    /// <summary>True when the batch ending at <paramref name="lastOffset"/> is the newest data batch of its producer.</summary>
    public bool IsLastBatchOfProducer(long producerId, long lastOffset) =>
        producerId >= 0 && _lastBatchOfProducer.TryGetValue(producerId, out var last) && last == lastOffset;

    public static TransactionScan Run(IEnumerable<(string Path, long Size)> segments, int bufferBytes, CancellationToken cancellation)
    {
        var scan = new TransactionScan();
        var open = new Dictionary<long, List<long>>();
        var scratch = new ArrayBufferWriter<byte>();
        foreach (var (path, size) in segments)
        {
            cancellation.ThrowIfCancellationRequested();
            using var reader = new SegmentBatchReader(path, size, bufferBytes);
            while (reader.TryRead(out var header, out var batch))
            {
                if (header.ProducerId < 0)
                {
                    continue;
                }

                if (!header.IsControl)
                {
                    scan._lastBatchOfProducer[header.ProducerId] = header.LastOffset;
                    if (header.IsTransactional)
                    {
                        if (!open.TryGetValue(header.ProducerId, out var batches))
                        {
                            open[header.ProducerId] = batches = [];
                        }

                        batches.Add(header.BaseOffset);
                    }

                    continue;
                }

                if (ReadMarker(batch.Span, header, scratch) is not { } marker)
                {
                    continue;
                }

                if (open.Remove(header.ProducerId, out var ended) && marker.Type == ControlRecordType.Abort)
                {
                    scan._abortedBatches.UnionWith(ended);
                }
            }
        }

        foreach (var batches in open.Values)
        {
            scan.FirstUnstableOffset = Math.Min(scan.FirstUnstableOffset, batches[0]);
        }

        return scan;
    }

    /// <summary>The transaction marker of a control batch; null for a control batch that holds none.</summary>
    public static ControlRecord? ReadMarker(ReadOnlySpan<byte> batch, RecordBatchHeader header, ArrayBufferWriter<byte> scratch)
    {
        var records = RecordBatch.GetRecords(batch, header, scratch);
        return records.MoveNext() && ControlRecord.TryRead(records.Current, out var marker) ? marker : null;
    }
}
