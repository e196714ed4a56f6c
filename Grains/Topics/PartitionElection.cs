using System.Globalization;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>The outcome of a controller decision on one partition: an error (state unchanged) or the next state.</summary>
internal readonly record struct PartitionDecision(KafkaErrorCode Error, string? Message, PartitionInfo Partition)
{
    public bool IsOk => Error == KafkaErrorCode.None;

    public static PartitionDecision Ok(PartitionInfo partition) => new(KafkaErrorCode.None, null, partition);

    public static PartitionDecision Fail(KafkaErrorCode error, string message, PartitionInfo unchanged) => new(error, message, unchanged);
}

/// <summary>
/// The controller's pure decisions on one partition (no Orleans, no I/O): leader election, ISR changes and the
/// reassignment life cycle, following Kafka's controller. The topic grain persists what these return.
/// <para>Invariants kept: the leader (unless -1) is a replica in the ISR; the ISR is a non-empty subset of the replicas;
/// every change of leader, including to -1, bumps the leader epoch (as Kafka does, so a leader that membership declared
/// dead but that still runs is fenced the moment it loses leadership, not only when a successor is found).</para>
/// </summary>
internal static class PartitionElection
{
    /// <summary>
    /// Re-elects against the live silos. ISR := ISR ∩ live, except that an ISR whose members are all dead is kept (it
    /// names who holds the acknowledged data, so the partition can come back when one of them does). A leader that is not
    /// live (or -1) is replaced by the first replica, in replica order, that is in the ISR and live; with none, the leader
    /// becomes -1, unless <paramref name="uncleanElection"/> lets the first live replica lead with ISR = {it}.
    /// Returns the same instance when nothing changes.
    /// </summary>
    public static PartitionInfo Reconcile(PartitionInfo partition, IReadOnlySet<int> live, bool uncleanElection)
    {
        var liveIsr = partition.Isr.Where(live.Contains).ToArray();
        var isr = liveIsr.Length > 0 ? liveIsr : partition.Isr;
        var next = partition with { Isr = isr };
        if (partition.Leader == PartitionInfo.NoLeader || !live.Contains(partition.Leader))
        {
            next = Elect(next, live);
            if (next.Leader == PartitionInfo.NoLeader && uncleanElection
                && partition.Replicas.FirstOrDefault(live.Contains, PartitionInfo.NoLeader) is var unclean and not PartitionInfo.NoLeader)
            {
                // Unclean: data the old ISR acknowledged may be lost; availability was chosen over it (the topic's config).
                next = next with { Leader = unclean, LeaderEpoch = partition.LeaderEpoch + 1, Isr = [unclean] };
            }
        }

        return SameState(partition, next) ? partition : next;
    }

    /// <summary>True when <see cref="Reconcile"/> would change some partition of <paramref name="topic"/> (judged on a cached copy).</summary>
    public static bool NeedsElection(TopicInfo topic, IReadOnlySet<int> live)
    {
        var unclean = TopicConfigCatalog.GetBoolean(topic.ConfigOverrides, UncleanLeaderElection);
        return topic.Partitions.Any(p => !ReferenceEquals(p, Reconcile(p, live, unclean)));
    }

    /// <summary>The topic config that lets a replica outside the ISR lead when no in-sync replica is live.</summary>
    public const string UncleanLeaderElection = "unclean.leader.election.enable";

    /// <summary>A leader incarnation on <paramref name="siloId"/> claims the partition: a new epoch when it is the committed leader.</summary>
    public static PartitionDecision ClaimLeadership(PartitionInfo partition, int siloId) =>
        partition.Leader == siloId && siloId != PartitionInfo.NoLeader
            ? PartitionDecision.Ok(partition with { LeaderEpoch = partition.LeaderEpoch + 1 })
            : PartitionDecision.Fail(KafkaErrorCode.NotLeaderOrFollower,
                $"Silo {siloId} is not the leader of partition {partition.Index} (leader {partition.Leader}).", partition);

    /// <summary>
    /// The leader's ISR change (Kafka's AlterPartition). Fenced unless the caller is the committed leader at the committed
    /// epoch; the ISR must contain the leader and only replicas. A change that completes a reassignment finishes it.
    /// </summary>
    public static PartitionDecision AlterIsr(PartitionInfo partition, int siloId, int leaderEpoch, IReadOnlyList<int> isr, IReadOnlySet<int> live)
    {
        if (partition.Leader != siloId || partition.LeaderEpoch != leaderEpoch)
        {
            return PartitionDecision.Fail(KafkaErrorCode.FencedLeaderEpoch,
                $"Silo {siloId} at epoch {leaderEpoch} is not the leader of partition {partition.Index} (leader {partition.Leader} at epoch {partition.LeaderEpoch}).",
                partition);
        }

        if (!isr.Contains(siloId))
        {
            return PartitionDecision.Fail(KafkaErrorCode.InvalidRequest, $"The ISR [{Ids(isr)}] does not contain the leader {siloId}.", partition);
        }

        if (isr.FirstOrDefault(r => !partition.Replicas.Contains(r), PartitionInfo.NoLeader) is var stranger and not PartitionInfo.NoLeader)
        {
            return PartitionDecision.Fail(KafkaErrorCode.InvalidRequest,
                $"The ISR [{Ids(isr)}] names silo {stranger}, which is not a replica of partition {partition.Index}.", partition);
        }

        if (isr.Distinct().Count() != isr.Count)
        {
            return PartitionDecision.Fail(KafkaErrorCode.InvalidRequest, $"The ISR [{Ids(isr)}] names a replica more than once.", partition);
        }

        var next = TryFinishReassignment(partition with { Isr = [.. isr] }, live);
        return PartitionDecision.Ok(SameState(partition, next) ? partition : next);
    }

    /// <summary>
    /// Starts (or replaces) a reassignment to <paramref name="target"/>, Kafka's model: replicas = target ++ (original −
    /// target), adding = target − original, removing = original − target, where original is the set before any
    /// reassignment in progress. Completes at once when there is nothing to add (and the result keeps an in-sync replica).
    /// </summary>
    public static PartitionDecision Reassign(PartitionInfo partition, IReadOnlyList<int> target, IReadOnlySet<int> live)
    {
        // Kafka (KRaft) validates a reassignment target like a manual assignment, with the same messages; a silo that is
        // not live counts as not registered here, since replicas can only be placed on live silos.
        if (ReplicaAssignments.ValidateReplicas(target, replicationFactor: null, [.. live]) is { } invalid)
        {
            return PartitionDecision.Fail(invalid.Error, invalid.Message ?? "Invalid replica assignment.", partition);
        }

        var original = Original(partition);
        var replicas = target.Concat(original.Where(r => !target.Contains(r))).ToArray();
        var next = partition with
        {
            Replicas = replicas,
            Isr = [.. partition.Isr.Where(replicas.Contains)],
            AddingReplicas = Normalize(target.Where(r => !original.Contains(r))),
            RemovingReplicas = Normalize(original.Where(r => !target.Contains(r))),
        };
        if (next.Isr.Count == 0)
        {
            // Only possible when replacing a reassignment whose added replicas hold the whole ISR: dropping them would
            // leave no copy known to be complete.
            return PartitionDecision.Fail(KafkaErrorCode.InvalidReplicaAssignment,
                $"Reassigning partition {partition.Index} to [{Ids(target)}] would leave no in-sync replica (ISR [{Ids(partition.Isr)}]).", partition);
        }

        next = EnsureLeader(next, partition, live);
        next = next.IsReassigning ? TryFinishReassignment(next, live) : next;
        return PartitionDecision.Ok(next);
    }

    /// <summary>Cancels the reassignment in progress: back to the original replicas, ISR ∩ original, re-elected if the leader left.</summary>
    public static PartitionDecision Cancel(PartitionInfo partition, IReadOnlySet<int> live)
    {
        if (!partition.IsReassigning)
        {
            return PartitionDecision.Fail(KafkaErrorCode.NoReassignmentInProgress,
                $"No reassignment is in progress for partition {partition.Index}.", partition);
        }

        var original = Original(partition);
        var isr = partition.Isr.Where(original.Contains).ToArray();
        if (isr.Length == 0)
        {
            return PartitionDecision.Fail(KafkaErrorCode.InvalidReplicaAssignment,
                $"Cannot cancel the reassignment of partition {partition.Index}: none of its original replicas [{Ids(original)}] is in sync.", partition);
        }

        var next = partition with { Replicas = original, Isr = isr, AddingReplicas = null, RemovingReplicas = null };
        return PartitionDecision.Ok(EnsureLeader(next, partition, live));
    }

    /// <summary>
    /// Finishes a reassignment when Kafka would: every adding replica is in the ISR (so the ISR holds every target replica
    /// that was not already a replica) and some target replica is in sync. Replicas become the target (in target order),
    /// the ISR drops removed replicas, and a leader being removed hands over to the first target replica in the ISR that
    /// is live (epoch bumped). With no such replica yet the reassignment stays in progress.
    /// </summary>
    public static PartitionInfo TryFinishReassignment(PartitionInfo partition, IReadOnlySet<int> live)
    {
        if (!partition.IsReassigning || !partition.Adding.All(partition.Isr.Contains))
        {
            return partition;
        }

        var target = Target(partition);
        var isr = partition.Isr.Where(target.Contains).ToArray();
        if (isr.Length == 0)
        {
            return partition;
        }

        var next = partition with { Replicas = target, Isr = isr, AddingReplicas = null, RemovingReplicas = null };
        if (next.Leader != PartitionInfo.NoLeader && !target.Contains(next.Leader))
        {
            var successor = target.FirstOrDefault(r => isr.Contains(r) && live.Contains(r), PartitionInfo.NoLeader);
            if (successor == PartitionInfo.NoLeader)
            {
                return partition;
            }

            next = next with { Leader = successor, LeaderEpoch = partition.LeaderEpoch + 1 };
        }

        return next;
    }

    /// <summary>The replicas before the reassignment in progress (all replicas when none is).</summary>
    public static int[] Original(PartitionInfo partition) => [.. partition.Replicas.Where(r => !partition.Adding.Contains(r))];

    /// <summary>The replicas the reassignment in progress moves to (all replicas when none is).</summary>
    public static int[] Target(PartitionInfo partition) => [.. partition.Replicas.Where(r => !partition.Removing.Contains(r))];

    /// <summary>Value equality of the replication state (the records hold lists, compared by reference).</summary>
    public static bool SameState(PartitionInfo a, PartitionInfo b) =>
        a.Index == b.Index
        && a.Leader == b.Leader
        && a.LeaderEpoch == b.LeaderEpoch
        && a.Replicas.SequenceEqual(b.Replicas)
        && a.Isr.SequenceEqual(b.Isr)
        && a.Adding.SequenceEqual(b.Adding)
        && a.Removing.SequenceEqual(b.Removing);

    /// <summary>Keeps a leader that is still a replica and in sync; otherwise elects (epoch bumped relative to <paramref name="before"/>).</summary>
    private static PartitionInfo EnsureLeader(PartitionInfo next, PartitionInfo before, IReadOnlySet<int> live)
    {
        if (next.Leader != PartitionInfo.NoLeader && next.Replicas.Contains(next.Leader) && next.Isr.Contains(next.Leader))
        {
            return next;
        }

        return Elect(next with { LeaderEpoch = before.LeaderEpoch }, live);
    }

    /// <summary>The first replica in replica order that is in the ISR and live, or -1; the epoch moves when the leader does.</summary>
    private static PartitionInfo Elect(PartitionInfo partition, IReadOnlySet<int> live)
    {
        var leader = partition.Replicas.FirstOrDefault(r => partition.Isr.Contains(r) && live.Contains(r), PartitionInfo.NoLeader);
        return leader == partition.Leader ? partition : partition with { Leader = leader, LeaderEpoch = partition.LeaderEpoch + 1 };
    }

    private static int[]? Normalize(IEnumerable<int> ids)
    {
        var array = ids.ToArray();
        return array.Length == 0 ? null : array;
    }

    private static string Ids(IEnumerable<int> ids) => string.Join(", ", ids.Select(i => i.ToString(CultureInfo.InvariantCulture)));
}
