namespace Orleans.Kafka.Grains.Groups.Consumer;

/// <summary>
/// Kafka's "uniform" server-side assignor: every subscribed partition goes to one member that subscribes to its topic,
/// the counts are as even as the subscriptions allow, and members keep what they already have where possible.
///
/// How: (1) each member keeps its current partitions that still exist and that it still subscribes to; (2) every
/// unassigned partition goes to the eligible member with the fewest partitions; (3) while some member holds at least
/// two more partitions than another member eligible for one of them, one such partition moves. Step 3 only moves what
/// balance needs, which is where the stickiness comes from. Kafka implements homogeneous and heterogeneous
/// subscriptions with two separate algorithms; this one greedy balancer covers both with the same goals.
/// </summary>
public sealed class UniformAssignor : IPartitionAssignor
{
    public string Name => "uniform";

    public IReadOnlyDictionary<string, IReadOnlySet<TopicIdPartition>> Assign(
        IReadOnlyList<AssignorMember> members, IReadOnlyDictionary<Guid, int> partitionCounts)
    {
        var ordered = members.OrderBy(m => m.MemberId, StringComparer.Ordinal).ToList();
        var result = ordered.ToDictionary(m => m.MemberId, _ => new HashSet<TopicIdPartition>(), StringComparer.Ordinal);
        var owner = new Dictionary<TopicIdPartition, string>();

        foreach (var member in ordered)
        {
            foreach (var tp in member.Current.OrderBy(p => p.TopicId).ThenBy(p => p.Partition))
            {
                if (member.SubscribedTopics.Contains(tp.TopicId) && partitionCounts.TryGetValue(tp.TopicId, out var count)
                    && tp.Partition >= 0 && tp.Partition < count && owner.TryAdd(tp, member.MemberId))
                {
                    result[member.MemberId].Add(tp);
                }
            }
        }

        var eligibleByTopic = partitionCounts.Keys.ToDictionary(
            t => t, t => ordered.Where(m => m.SubscribedTopics.Contains(t)).Select(m => m.MemberId).ToList());

        // Round-robin order over topics (partition, then topic) spreads each topic over the members.
        var unassigned = partitionCounts
            .Where(t => eligibleByTopic[t.Key].Count > 0)
            .SelectMany(t => Enumerable.Range(0, t.Value).Select(p => new TopicIdPartition(t.Key, p)))
            .Where(tp => !owner.ContainsKey(tp))
            .OrderBy(tp => tp.Partition).ThenBy(tp => tp.TopicId);
        foreach (var tp in unassigned)
        {
            var target = eligibleByTopic[tp.TopicId].MinBy(id => result[id].Count)!;
            result[target].Add(tp);
            owner[tp] = target;
        }

        Rebalance(result, eligibleByTopic);
        return result.ToDictionary(kv => kv.Key, kv => (IReadOnlySet<TopicIdPartition>)kv.Value, StringComparer.Ordinal);
    }

    /// <summary>Moves one partition at a time from the fullest member to a member with two fewer, until none can move.</summary>
    private static void Rebalance(Dictionary<string, HashSet<TopicIdPartition>> result, Dictionary<Guid, List<string>> eligibleByTopic)
    {
        // Each move lowers the sum of squared counts, so this ends; the bound is a guard against a logic error.
        for (var guard = 0; guard < 1_000_000; guard++)
        {
            var moved = false;
            foreach (var (donor, held) in result.OrderByDescending(kv => kv.Value.Count).ThenBy(kv => kv.Key, StringComparer.Ordinal))
            {
                foreach (var tp in held.OrderByDescending(p => p.Partition).ThenBy(p => p.TopicId))
                {
                    var receiver = eligibleByTopic[tp.TopicId]
                        .Where(id => result[id].Count < held.Count - 1)
                        .MinBy(id => result[id].Count);
                    if (receiver is not null)
                    {
                        held.Remove(tp);
                        result[receiver].Add(tp);
                        moved = true;
                        break;
                    }
                }

                if (moved)
                {
                    break;
                }
            }

            if (!moved)
            {
                return;
            }
        }
    }
}
