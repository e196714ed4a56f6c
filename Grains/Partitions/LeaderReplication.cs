using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// The leader's bookkeeping of its followers (Kafka's Partition/Replica state on the leader): each follower's log end
/// and when it last caught up, the ISR as last committed by the controller, and the high watermark.
/// <para>Rules, as Kafka's: the high watermark is the smallest log end among ISR members (the leader's included) and
/// never goes back; a follower is caught up at a fetch whose offset reaches the leader's log end at that moment, or the
/// log end at its previous fetch (then it caught up at that previous fetch); an ISR member not caught up for
/// replica.lag.time.max.ms is proposed for removal; a follower outside the ISR whose log end reaches the high watermark
/// and the start of the current epoch is proposed for addition. Proposals go to the controller; only a committed
/// state (<see cref="Apply"/>) changes the ISR used here.</para>
/// <para>Not thread-safe: the leader grain's turns own it. Times are <see cref="TimeProvider"/> timestamps in ms.</para>
/// </summary>
internal sealed class LeaderReplication
{
    private readonly Dictionary<int, FollowerProgress> _followers = [];
    private readonly long _maxLagMs;

    public LeaderReplication(int leaderId, PartitionInfo committed, long initialHighWatermark, long epochStartOffset, long nowMs, long maxLagMs)
    {
        ArgumentNullException.ThrowIfNull(committed);
        LeaderId = leaderId;
        _maxLagMs = maxLagMs;
        EpochStartOffset = epochStartOffset;
        HighWatermark = initialHighWatermark;
        Committed = committed;
        Apply(committed, nowMs);
    }

    public int LeaderId { get; }

    /// <summary>The partition state the controller committed last (leader, epoch, replicas, ISR).</summary>
    public PartitionInfo Committed { get; private set; }

    public int LeaderEpoch => Committed.LeaderEpoch;

    public IReadOnlyList<int> Isr => Committed.Isr;

    /// <summary>The log end when this leader's epoch began: a follower joins the ISR only past it (KIP-101).</summary>
    public long EpochStartOffset { get; }

    public long HighWatermark { get; private set; }

    /// <summary>A follower's last reported log end, or -1 before its first fetch to this leader.</summary>
    public long FollowerLogEnd(int replicaId) => _followers.TryGetValue(replicaId, out var f) ? f.LogEnd : -1;

    public bool IsReplica(int replicaId) => Committed.Replicas.Contains(replicaId);

    /// <summary>Takes a newly committed state; followers keep their progress, new ones start unknown and caught up now.</summary>
    public void Apply(PartitionInfo committed, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(committed);
        Committed = committed;
        foreach (var replica in committed.Replicas)
        {
            if (replica != LeaderId && !_followers.ContainsKey(replica))
            {
                // Kafka resets a follower's caught-up time when a leader starts: it gets a full lag window to fetch.
                _followers[replica] = new FollowerProgress { LastCaughtUpMs = nowMs };
            }
        }

        foreach (var gone in _followers.Keys.Where(r => !committed.Replicas.Contains(r)).ToList())
        {
            _followers.Remove(gone);
        }
    }

    /// <summary>Records a follower's fetch at <paramref name="fetchOffset"/>; true when the high watermark moved.</summary>
    public bool OnFollowerFetch(int replicaId, long fetchOffset, long leaderLogEnd, long nowMs)
    {
        if (!_followers.TryGetValue(replicaId, out var follower))
        {
            return false;
        }

        if (fetchOffset >= leaderLogEnd)
        {
            follower.LastCaughtUpMs = nowMs;
        }
        else if (follower.LastFetchMs > 0 && fetchOffset >= follower.LeaderLogEndAtLastFetch)
        {
            follower.LastCaughtUpMs = Math.Max(follower.LastCaughtUpMs, follower.LastFetchMs);
        }

        follower.LogEnd = fetchOffset;
        follower.LastFetchMs = nowMs;
        follower.LeaderLogEndAtLastFetch = leaderLogEnd;
        return UpdateHighWatermark(leaderLogEnd);
    }

    /// <summary>Recomputes the high watermark from the ISR's log ends; true when it moved (it only moves forward).</summary>
    public bool UpdateHighWatermark(long leaderLogEnd)
    {
        var candidate = leaderLogEnd;
        foreach (var member in Committed.Isr)
        {
            if (member != LeaderId)
            {
                candidate = Math.Min(candidate, FollowerLogEnd(member));
            }
        }

        if (candidate > HighWatermark)
        {
            HighWatermark = candidate;
            return true;
        }

        return false;
    }

    /// <summary>The ISR with <paramref name="replicaId"/> added when it has caught up and is not a member; else null.</summary>
    public IReadOnlyList<int>? ProposeExpansion(int replicaId)
    {
        if (Committed.Isr.Contains(replicaId) || !_followers.TryGetValue(replicaId, out var follower))
        {
            return null;
        }

        return follower.LogEnd >= HighWatermark && follower.LogEnd >= EpochStartOffset ? [.. Committed.Isr, replicaId] : null;
    }

    /// <summary>The ISR without members that have not caught up within the lag limit; null when nobody lags.</summary>
    public IReadOnlyList<int>? ProposeShrink(long nowMs)
    {
        var laggards = Committed.Isr
            .Where(r => r != LeaderId && _followers.TryGetValue(r, out var f) && nowMs - f.LastCaughtUpMs > _maxLagMs)
            .ToHashSet();
        return laggards.Count == 0 ? null : [.. Committed.Isr.Where(r => !laggards.Contains(r))];
    }

    /// <summary>Followers that have not fetched for <paramref name="silenceMs"/> (or never): their grains may need waking.</summary>
    public IEnumerable<int> SilentFollowers(long nowMs, long silenceMs) =>
        _followers.Where(f => nowMs - f.Value.LastFetchMs > silenceMs).Select(f => f.Key);

    private sealed class FollowerProgress
    {
        public long LogEnd { get; set; } = -1;

        public long LastCaughtUpMs { get; set; }

        public long LastFetchMs { get; set; }

        public long LeaderLogEndAtLastFetch { get; set; }
    }
}
