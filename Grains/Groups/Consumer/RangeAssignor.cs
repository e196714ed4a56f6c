namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>
/// Kafka's "range" server-side assignor: per topic, the members subscribed to it (in member id order) get contiguous
/// ranges — n partitions over m members is n/m each, the first n%m members one more. Members keep the partitions of a
/// topic they already hold up to their quota (sticky). The computation per topic depends only on the subscribed members,
/// the partition count and the current assignment of that topic, so topics with the same partition count and
/// subscribers come out co-partitioned (partition i of each goes to the same member).
/// </summary>
public sealed class RangeAssignor : IPartitionAssignor
{
    public string Name => "range";

    public IReadOnlyDictionary<string, IReadOnlySet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<Guid, int> partitionCounts)
    {
        var result = members.ToDictionary(m => m.MemberId, _ => new HashSet<TopicIdPartition>(), StringComparer.Ordinal);
        foreach (var (topicId, count) in partitionCounts.OrderBy(t => t.Key))
        {
            var subscribers = members.Where(m => m.SubscribedTopics.Contains(topicId))
                .OrderBy(m => m.MemberId, StringComparer.Ordinal).ToList();
            if (subscribers.Count == 0)
            {
                continue;
            }

            AssignTopic(topicId, count, subscribers, result);
        }

        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<TopicIdPartition>)kv.Value, StringComparer.Ordinal);
    }

    private static void AssignTopic(Guid topicId, int count, List<AssignorMember> subscribers, Dictionary<string, HashSet<TopicIdPartition>> result)
    {
        var minQuota = count / subscribers.Count;
        var extras = count % subscribers.Count;
        var taken = new bool[count];
        var kept = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var hasExtra = new HashSet<string>(StringComparer.Ordinal);

        // Sticky pass: keep current partitions up to the minimum quota, and one more while extra slots remain.
        foreach (var member in subscribers)
        {
            var current = member.Current.Where(p => p.TopicId == topicId && p.Partition >= 0 && p.Partition < count)
                .Select(p => p.Partition).Order().ToList();
            var keep = new List<int>();
            foreach (var p in current)
            {
                if (taken[p])
                {
                    continue;
                }

                if (keep.Count < minQuota || (keep.Count == minQuota && extras > 0 && !hasExtra.Contains(member.MemberId)))
                {
                    if (keep.Count == minQuota)
                    {
                        hasExtra.Add(member.MemberId);
                        extras--;
                    }

                    keep.Add(p);
                    taken[p] = true;
                }
            }

            kept[member.MemberId] = keep;
        }

        // Fill pass: free partitions in ascending order to members in id order, each up to its quota (one extra while
        // extra slots remain), which gives contiguous ranges when nothing is kept.
        var free = new Queue<int>(Enumerable.Range(0, count).Where(p => !taken[p]));
        foreach (var member in subscribers)
        {
            var keep = kept[member.MemberId];
            while (keep.Count < minQuota && free.Count > 0)
            {
                keep.Add(free.Dequeue());
            }

            if (keep.Count == minQuota && extras > 0 && !hasExtra.Contains(member.MemberId) && free.Count > 0)
            {
                keep.Add(free.Dequeue());
                hasExtra.Add(member.MemberId);
                extras--;
            }

            foreach (var p in keep)
            {
                result[member.MemberId].Add(new TopicIdPartition(topicId, p));
            }
        }
    }
}
