namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Which leader epoch began at which offset (Kafka's leader-epoch cache), answering OffsetForLeaderEpoch. Until
/// leadership moves between replicas a partition has one epoch covering its whole log; the lookup already follows
/// Kafka's rules for a longer history.
/// </summary>
internal sealed class LeaderEpochHistory
{
    private readonly List<(int Epoch, long StartOffset)> _entries;

    private LeaderEpochHistory(List<(int Epoch, long StartOffset)> entries) => _entries = entries;

    public static LeaderEpochHistory Single(int epoch) => new([(epoch, 0)]);

    public int LatestEpoch => _entries[^1].Epoch;

    /// <summary>The epoch in force at <paramref name="offset"/>.</summary>
    public int EpochAt(long offset)
    {
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].StartOffset <= offset)
            {
                return _entries[i].Epoch;
            }
        }

        return _entries[0].Epoch;
    }

    /// <summary>
    /// Kafka's <c>endOffsetFor</c>: the latest epoch ends at the log end; an older epoch ends where the next higher one
    /// starts (answering the largest epoch not above the request); an epoch above the latest, or -1, is undefined (-1, -1).
    /// </summary>
    public (int Epoch, long EndOffset) EndOffsetFor(int requestedEpoch, long logEndOffset)
    {
        if (requestedEpoch < 0)
        {
            return (-1, -1);
        }

        if (requestedEpoch == LatestEpoch)
        {
            return (requestedEpoch, logEndOffset);
        }

        var higher = _entries.FindIndex(e => e.Epoch > requestedEpoch);
        if (higher < 0)
        {
            return (-1, -1);
        }

        var floor = higher - 1;
        return floor < 0 ? (requestedEpoch, _entries[higher].StartOffset) : (_entries[floor].Epoch, _entries[higher].StartOffset);
    }
}
