using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// The controller role: leader, leader epoch, ISR and reassignment of this topic's partitions. Decisions are made by
/// <see cref="PartitionElection"/>; this part persists them (the grain storage etag makes two activations that both
/// believe they are this grain fail rather than both win), pushes them to the registry, then tells the partition's
/// grains. Those notifications are never awaited: a partition grain calls <see cref="ClaimLeadership"/> while it
/// activates, so awaiting a call that activates it would deadlock this non-reentrant grain.
/// </summary>
public sealed partial class TopicGrain
{
    public async Task<PartitionStateResult> ClaimLeadership(int partition, int siloId)
    {
        if (PartitionAt(partition) is not { } current)
        {
            return UnknownPartition;
        }

        var decision = PartitionElection.ClaimLeadership(current, siloId);
        if (!decision.IsOk)
        {
            return new PartitionStateResult(decision.Error, current, _info!.TopicId);
        }

        var committed = await CommitPartitions([decision.Partition]);
        if (committed is not null)
        {
            TopicLog.LeadershipClaimed(logger, Name, partition, siloId, decision.Partition.LeaderEpoch);
        }

        return Answer(partition, committed is not null);
    }

    public async Task<PartitionStateResult> AlterIsr(int partition, int siloId, int leaderEpoch, IReadOnlyList<int> isr)
    {
        ArgumentNullException.ThrowIfNull(isr);
        if (PartitionAt(partition) is not { } current)
        {
            return UnknownPartition;
        }

        var decision = PartitionElection.AlterIsr(current, siloId, leaderEpoch, isr, LiveBrokers());
        if (!decision.IsOk)
        {
            return new PartitionStateResult(decision.Error, current, _info!.TopicId);
        }

        var next = decision.Partition;
        if (ReferenceEquals(next, current))
        {
            return new PartitionStateResult(KafkaErrorCode.None, current, _info!.TopicId);
        }

        var committed = await CommitPartitions([next]);
        if (committed is null)
        {
            return Answer(partition, committed: false);
        }

        TopicLog.IsrChanged(logger, Name, partition, string.Join(",", current.Isr), string.Join(",", next.Isr), next.LeaderEpoch);
        if (current.IsReassigning && !next.IsReassigning)
        {
            TopicLog.ReassignmentFinished(logger, Name, partition, string.Join(",", next.Replicas), next.Leader);
        }

        // The caller is the leader and learns the new state from the answer; replicas that left need telling.
        NotifyReplicas(current, next);
        return Answer(partition, committed: true);
    }

    public async Task Reconcile()
    {
        if (_info is not { } current)
        {
            return;
        }

        // A commit whose push to the registry failed is pushed again here (the registry's view feeds Metadata).
        if (_registryBehind)
        {
            PushToRegistryLater();
        }

        // Clusters without silo ids (test clusters) have nothing to elect against: replicas are not silos there.
        var snapshot = membership.CurrentSnapshot;
        if (!SiloIds.InUse(snapshot))
        {
            return;
        }

        var live = SiloIds.Live(snapshot).Keys.ToHashSet();
        var unclean = TopicConfigCatalog.GetBoolean(current.ConfigOverrides, PartitionElection.UncleanLeaderElection);
        var changes = current.Partitions
            .Select(p => (Before: p, After: PartitionElection.Reconcile(p, live, unclean)))
            .Where(c => !ReferenceEquals(c.Before, c.After))
            .ToList();
        if (changes.Count > 0)
        {
            if (await CommitPartitions([.. changes.Select(c => c.After)]) is null)
            {
                return;
            }

            foreach (var (before, after) in changes)
            {
                if (before.Leader != after.Leader)
                {
                    TopicLog.LeaderElected(logger, Name, after.Index, before.Leader, after.Leader, after.LeaderEpoch, string.Join(",", after.Isr));
                }
                else
                {
                    TopicLog.IsrChanged(logger, Name, after.Index, string.Join(",", before.Isr), string.Join(",", after.Isr), after.LeaderEpoch);
                }

                NotifyLeader(after);
            }
        }

        // Live replicas outside the ISR (a silo that came back) are poked to follow again; Follow is a no-op for one
        // that already does, and this is what brings a returning silo's copy back into the ISR without other help.
        foreach (var partition in _info?.Partitions ?? [])
        {
            if (partition.Leader != PartitionInfo.NoLeader)
            {
                foreach (var replica in partition.Replicas.Where(r => live.Contains(r) && !partition.Isr.Contains(r)))
                {
                    Fire(GrainFactory.GetReplicaGrain(Name, partition.Index, replica).Follow(), "Follow", partition.Index);
                }
            }
        }
    }

    public async Task<AdminResult> AlterReassignment(int partition, IReadOnlyList<int>? targetReplicas)
    {
        if (PartitionAt(partition) is not { } current)
        {
            return UnknownTopic;
        }

        var live = LiveBrokers();
        var decision = targetReplicas is null
            ? PartitionElection.Cancel(current, live)
            : PartitionElection.Reassign(current, targetReplicas, live);
        if (!decision.IsOk)
        {
            return new AdminResult(decision.Error, decision.Message);
        }

        var next = decision.Partition;
        if (PartitionElection.SameState(current, next))
        {
            return AdminResult.Ok;
        }

        if (await CommitPartitions([next]) is null)
        {
            return UnknownTopic;
        }

        if (targetReplicas is null)
        {
            TopicLog.ReassignmentCancelled(logger, Name, partition, string.Join(",", next.Replicas));
        }
        else if (next.IsReassigning)
        {
            TopicLog.ReassignmentStarted(logger, Name, partition, string.Join(",", targetReplicas), string.Join(",", next.Adding), string.Join(",", next.Removing));
        }
        else
        {
            TopicLog.ReassignmentFinished(logger, Name, partition, string.Join(",", next.Replicas), next.Leader);
        }

        NotifyLeader(next);
        NotifyReplicas(current, next);
        return AdminResult.Ok;
    }

    private PartitionInfo? PartitionAt(int partition) =>
        _info is { } info && partition >= 0 && partition < info.Partitions.Count ? info.Partitions[partition] : null;

    /// <summary>Silo ids that may hold replicas now (the live silos' ids in cluster mode).</summary>
    private HashSet<int> LiveBrokers() => [.. placement.AvailableBrokers()];

    /// <summary>Persists the partitions' new states and returns the committed topic; the registry learns of it in the background.</summary>
    private async Task<TopicInfo?> CommitPartitions(IReadOnlyList<PartitionInfo> changed)
    {
        await PersistPartitionStates(state.State.WithPartitionStates(changed));
        return _info;
    }

    private PartitionStateResult Answer(int partition, bool committed) =>
        committed && PartitionAt(partition) is { } now
            ? new PartitionStateResult(KafkaErrorCode.None, now, _info!.TopicId)
            : UnknownPartition;

    /// <summary>Tells the partition's leader grain its new state; calling it also activates a newly elected leader.</summary>
    private void NotifyLeader(PartitionInfo partition)
    {
        // An offline partition has no leader to tell: its last leader's silo is gone.
        if (partition.Leader != PartitionInfo.NoLeader && _info is { } info)
        {
            Fire(GrainFactory.GetPartitionGrain(Name, partition.Index).PartitionChanged(info.TopicId, partition), "PartitionChanged", partition.Index);
        }
    }

    /// <summary>Replicas that joined (start following) or left (clean up) the assignment are poked; the leader needs no poke.</summary>
    private void NotifyReplicas(PartitionInfo before, PartitionInfo after)
    {
        var moved = after.Replicas.Except(before.Replicas).Concat(before.Replicas.Except(after.Replicas));
        foreach (var silo in moved.Where(s => s != after.Leader))
        {
            Fire(GrainFactory.GetReplicaGrain(Name, after.Index, silo).Follow(), "Follow", after.Index);
        }
    }

    /// <summary>Lets a notification run on its own; a failure is only logged (the periodic reconcile and the grains' own
    /// polling repair what a lost notification would have told).</summary>
    private void Fire(Task call, string what, int partition) => _ = Observe(call, what, partition);

    private async Task Observe(Task call, string what, int partition)
    {
        try
        {
            await call;
        }
        catch (Exception ex)
        {
            // Logged, not rethrown: nobody awaits this task, and the repair paths above cover the lost notification.
            TopicLog.NotificationFailed(logger, Name, partition, what, ex);
        }
    }

    private static readonly PartitionStateResult UnknownPartition = new(KafkaErrorCode.UnknownTopicOrPartition, null, Guid.Empty);
}
