namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>
/// KIP-848's member reconciliation ("revocation before reassignment", Kafka's CurrentAssignmentBuilder): a member moves
/// towards its target assignment in steps. Partitions it owns but no longer targets are revoked first (the member
/// stays at its epoch until it reports them gone); only then does it move to the target epoch and receive new
/// partitions, and only those no other member still owns or is revoking — the rest it gets on a later heartbeat once
/// they are released.
/// </summary>
public static class MemberReconciler
{
    /// <summary>
    /// Advances <paramref name="member"/> towards <paramref name="target"/>. <paramref name="ownedReported"/> is what the
    /// member says it owns (null: unchanged since the last heartbeat); <paramref name="ownedByOther"/> tells whether
    /// another member still holds or is revoking a partition. Returns true when the member's assignment or epoch changed.
    /// </summary>
    public static bool Reconcile(
        ConsumerProtocolMember member,
        IReadOnlySet<TopicIdPartition> target,
        int targetEpoch,
        IReadOnlySet<TopicIdPartition>? ownedReported,
        Func<TopicIdPartition, bool> ownedByOther)
    {
        switch (member.State)
        {
            case MemberReconciliationState.Stable when member.MemberEpoch == targetEpoch:
                return false;
            case MemberReconciliationState.UnrevokedPartitions:
                // Without a report, or while the report still names a partition being revoked, wait.
                if (ownedReported is null || ownedReported.Overlaps(member.PendingRevocation))
                {
                    return false;
                }

                break;
        }

        return ComputeNext(member, target, targetEpoch, ownedByOther);
    }

    private static bool ComputeNext(
        ConsumerProtocolMember member, IReadOnlySet<TopicIdPartition> target, int targetEpoch, Func<TopicIdPartition, bool> ownedByOther)
    {
        var kept = member.Assigned.Where(target.Contains).ToHashSet();
        var revoke = member.Assigned.Where(p => !target.Contains(p)).ToHashSet();
        if (revoke.Count > 0)
        {
            member.Assigned = kept;
            member.PendingRevocation = revoke;
            member.State = MemberReconciliationState.UnrevokedPartitions;
            return true;
        }

        var added = target.Where(p => !kept.Contains(p)).ToList();
        var free = added.Where(p => !ownedByOther(p)).ToList();
        var changed = free.Count > 0 || member.MemberEpoch != targetEpoch || member.PendingRevocation.Count > 0;
        kept.UnionWith(free);
        member.Assigned = kept;
        member.PendingRevocation = [];
        if (member.MemberEpoch != targetEpoch)
        {
            member.PreviousMemberEpoch = member.MemberEpoch;
            member.MemberEpoch = targetEpoch;
        }

        member.State = free.Count < added.Count ? MemberReconciliationState.UnreleasedPartitions : MemberReconciliationState.Stable;
        return changed;
    }
}
