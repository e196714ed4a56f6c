using System.Buffers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// The decisions of one cleaning pass, batch by batch in offset order (Kafka's
/// LogCleaner.cleanInto / shouldRetainRecord / CleanedTransactionMetadata), and its counters.
/// </summary>
internal sealed class PassState(TransactionScan transactions, OffsetMap map, long nowMs, long deleteRetentionMs)
{
    private readonly ArrayBufferWriter<byte> _scratch = new();
    private readonly BatchRewriter _rewriter = new();

    /// <summary>Producers whose current transaction kept data in this pass: its marker must stay.</summary>
    private readonly HashSet<long> _transactionsWithData = [];

    public long RecordsRead { get; set; }

    public long RecordsRetained { get; set; }

    public long InvalidRecords { get; set; }

    public long BytesRead { get; set; }

    public long BytesWritten { get; set; }

    private long NewHorizon => nowMs + deleteRetentionMs;

    /// <summary>A batch's delete horizon has passed: its tombstones or marker may go.</summary>
    private bool HorizonPassed(in RecordBatchHeader header) => header.HasDeleteHorizon && nowMs >= header.BaseTimestamp;

    public BatchDecision CleanControlBatch(in RecordBatchHeader header, ReadOnlySpan<byte> batch, bool isLast, ArrayBufferWriter<byte> output)
    {
        RecordsRead += header.RecordCount;
        var marker = TransactionScan.ReadMarker(batch, header, _scratch);
        var transactionKeptData = _transactionsWithData.Remove(header.ProducerId);
        if (marker is not null && !transactionKeptData && HorizonPassed(header) && !isLast)
        {
            return BatchDecision.Drop;
        }

        RecordsRetained += header.RecordCount;
        if (header.HasDeleteHorizon || header.RecordCount == 0)
        {
            return BatchDecision.KeepOriginal;
        }

        _rewriter.Begin(header, NewHorizon);
        foreach (var record in RecordBatch.GetRecords(batch, header, _scratch))
        {
            _rewriter.Add(record);
        }

        _rewriter.WriteTo(output);
        return BatchDecision.Rewritten;
    }

    public BatchDecision CleanDataBatch(in RecordBatchHeader header, ReadOnlySpan<byte> batch, bool isLast, ArrayBufferWriter<byte> output)
    {
        RecordsRead += header.RecordCount;
        var aborted = header.IsTransactional && transactions.IsAborted(header.BaseOffset);
        var retained = 0;
        var tombstones = false;
        if (!aborted && header.RecordCount > 0)
        {
            // First walk: what stays. The records are views over the batch or the scratch buffer.
            foreach (var record in RecordBatch.GetRecords(batch, header, _scratch))
            {
                if (Retain(header, record))
                {
                    retained++;
                    tombstones |= record.ValueIsNull;
                }
            }
        }

        RecordsRetained += retained;
        if (retained > 0 && header.IsTransactional)
        {
            _transactionsWithData.Add(header.ProducerId);
        }

        if (retained == 0)
        {
            // Kafka keeps the producer's last batch as an empty header so its sequence state survives.
            if (isLast || transactions.IsLastBatchOfProducer(header.ProducerId, header.LastOffset))
            {
                if (header.RecordCount == 0)
                {
                    return BatchDecision.KeepOriginal;
                }

                BatchRewriter.WriteEmptyHeader(output, header);
                return BatchDecision.Rewritten;
            }

            return BatchDecision.Drop;
        }

        var setHorizon = tombstones && !header.HasDeleteHorizon;
        if (retained == header.RecordCount && !setHorizon)
        {
            return BatchDecision.KeepOriginal;
        }

        _rewriter.Begin(header, setHorizon ? NewHorizon : null);
        foreach (var record in RecordBatch.GetRecords(batch, header, _scratch))
        {
            if (Retain(header, record, count: false))
            {
                _rewriter.Add(record);
            }
        }

        _rewriter.WriteTo(output);
        return BatchDecision.Rewritten;
    }

    /// <summary>
    /// Kafka's shouldRetainRecord: a record with a key stays when no newer record of the key is in
    /// the dirty section; a tombstone also needs its batch's delete horizon not yet passed
    /// (a batch without a horizon gets one now). Records without a key are invalid here.
    /// </summary>
    private bool Retain(in RecordBatchHeader header, in Record record, bool count = true)
    {
        if (record.KeyIsNull)
        {
            if (count)
            {
                InvalidRecords++;
            }

            return false;
        }

        var offset = header.BaseOffset + record.OffsetDelta;
        if (map.Get(record.Key) > offset)
        {
            return false;
        }

        return !record.ValueIsNull || !HorizonPassed(header);
    }
}
