namespace Orleans.Kafka.Storage.Producers;

/// <summary>What a partition knows of one producer id. Mutated only by <see cref="ProducerStateManager"/>.</summary>
public sealed class ProducerEntry
{
    /// <summary>Kafka's ProducerStateEntry.NUM_BATCHES_TO_RETAIN: the producer may have five requests in flight.</summary>
    public const int BatchesToRetain = 5;

    private readonly Queue<ProducerBatchInfo> _batches = new(BatchesToRetain);

    internal ProducerEntry(long producerId, short epoch)
    {
        ProducerId = producerId;
        Epoch = epoch;
    }

    public long ProducerId { get; }

    public short Epoch { get; internal set; }

    /// <summary>Epoch of the transaction coordinator that wrote the last marker; -1 if none.</summary>
    public int CoordinatorEpoch { get; internal set; } = -1;

    /// <summary>First offset of the producer's open transaction, or -1.</summary>
    public long CurrentTransactionFirstOffset { get; internal set; } = -1;

    /// <summary>Broker time (Unix ms) of the last batch or marker: the expiry clock.</summary>
    public long LastUpdateTimeMs { get; internal set; }

    /// <summary>The last (at most five) batches of the current epoch, oldest first.</summary>
    public IReadOnlyCollection<ProducerBatchInfo> Batches => _batches;

    /// <summary>Last sequence of the newest batch, or -1 when none is cached.</summary>
    public int LastSequence => _batches.Count == 0 ? -1 : _batches.Last().LastSequence;

    internal void AddBatch(ProducerBatchInfo batch)
    {
        if (_batches.Count == BatchesToRetain)
        {
            _batches.Dequeue();
        }

        _batches.Enqueue(batch);
    }

    internal void ClearBatches() => _batches.Clear();

    internal ProducerBatchInfo? FindBatch(int firstSequence, int lastSequence)
    {
        foreach (var batch in _batches)
        {
            if (batch.FirstSequence == firstSequence && batch.LastSequence == lastSequence)
            {
                return batch;
            }
        }

        return null;
    }
}
