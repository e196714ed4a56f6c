using Orleans.Kafka.Grains.Groups.Consumer;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>The KIP-848 server-side assignors as pure functions: balance, stickiness, range semantics.</summary>
public sealed class ConsumerAssignorTests
{
    private static readonly Guid TopicA = new("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid TopicB = new("00000000-0000-0000-0000-00000000000b");

    internal static AssignorMember Member(string id, IEnumerable<Guid> topics, IEnumerable<TopicIdPartition>? current = null) =>
        new(id, topics.ToHashSet(), (current ?? []).ToHashSet());

    private static void AssertEachPartitionOnce(IReadOnlyDictionary<string, IReadOnlySet<TopicIdPartition>> result, IReadOnlyDictionary<Guid, int> counts)
    {
        var all = result.Values.SelectMany(s => s).ToList();
        Assert.Equal(all.Count, all.Distinct().Count());
        Assert.Equal(counts.Values.Sum(), all.Count);
    }

    [Fact]
    public void Uniform_splits_twelve_partitions_over_three_members_four_each()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 12 };
        var result = new UniformAssignor().Assign([Member("m1", [TopicA]), Member("m2", [TopicA]), Member("m3", [TopicA])], counts);

        AssertEachPartitionOnce(result, counts);
        Assert.All(result.Values, s => Assert.Equal(4, s.Count));
    }

    [Fact]
    public void Uniform_keeps_members_partitions_when_a_member_joins_and_moves_only_what_balance_needs()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 12 };
        var uniform = new UniformAssignor();
        var before = uniform.Assign([Member("m1", [TopicA]), Member("m2", [TopicA])], counts);

        var after = uniform.Assign(
            [Member("m1", [TopicA], before["m1"]), Member("m2", [TopicA], before["m2"]), Member("m3", [TopicA])], counts);

        AssertEachPartitionOnce(after, counts);
        Assert.All(after.Values, s => Assert.Equal(4, s.Count));
        Assert.Subset(before["m1"].ToHashSet(), after["m1"].ToHashSet());
        Assert.Subset(before["m2"].ToHashSet(), after["m2"].ToHashSet());
    }

    [Fact]
    public void Uniform_gives_a_leaving_members_partitions_to_the_others_without_moving_theirs()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 12 };
        var uniform = new UniformAssignor();
        var before = uniform.Assign([Member("m1", [TopicA]), Member("m2", [TopicA]), Member("m3", [TopicA])], counts);

        var after = uniform.Assign([Member("m1", [TopicA], before["m1"]), Member("m3", [TopicA], before["m3"])], counts);

        AssertEachPartitionOnce(after, counts);
        Assert.Equal(6, after["m1"].Count);
        Assert.Equal(6, after["m3"].Count);
        Assert.Subset(after["m1"].ToHashSet(), before["m1"].ToHashSet());
        Assert.Subset(after["m3"].ToHashSet(), before["m3"].ToHashSet());
    }

    [Fact]
    public void Uniform_respects_heterogeneous_subscriptions_and_balances_what_it_can()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 4, [TopicB] = 4 };
        var result = new UniformAssignor().Assign([Member("m1", [TopicA, TopicB]), Member("m2", [TopicB])], counts);

        AssertEachPartitionOnce(result, counts);
        Assert.All(result["m2"], p => Assert.Equal(TopicB, p.TopicId));
        Assert.Equal(4, result["m1"].Count);
        Assert.Equal(4, result["m2"].Count);
    }

    [Fact]
    public void Uniform_drops_partitions_of_unsubscribed_or_vanished_topics_from_current()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 2 };
        var result = new UniformAssignor().Assign(
            [Member("m1", [TopicA], [new(TopicB, 0), new(TopicA, 5), new(TopicA, 1)])], counts);

        Assert.Equal([new(TopicA, 0), new(TopicA, 1)], result["m1"].OrderBy(p => p.Partition));
    }

    [Fact]
    public void Range_gives_contiguous_ranges_with_the_remainder_to_the_first_members()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 7 };
        var result = new RangeAssignor().Assign([Member("m2", [TopicA]), Member("m1", [TopicA]), Member("m3", [TopicA])], counts);

        Assert.Equal([0, 1, 2], result["m1"].Select(p => p.Partition).Order());
        Assert.Equal([3, 4], result["m2"].Select(p => p.Partition).Order());
        Assert.Equal([5, 6], result["m3"].Select(p => p.Partition).Order());
    }

    [Fact]
    public void Range_co_partitions_topics_with_the_same_partition_count()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 6, [TopicB] = 6 };
        var result = new RangeAssignor().Assign([Member("m1", [TopicA, TopicB]), Member("m2", [TopicA, TopicB])], counts);

        foreach (var (_, set) in result)
        {
            Assert.Equal(set.Where(p => p.TopicId == TopicA).Select(p => p.Partition).Order(),
                set.Where(p => p.TopicId == TopicB).Select(p => p.Partition).Order());
        }
    }

    [Fact]
    public void Range_is_sticky_when_a_member_joins()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 6 };
        var range = new RangeAssignor();
        var before = range.Assign([Member("m1", [TopicA]), Member("m3", [TopicA])], counts);

        var after = range.Assign([Member("m1", [TopicA], before["m1"]), Member("m2", [TopicA]), Member("m3", [TopicA], before["m3"])], counts);

        AssertEachPartitionOnce(after, counts);
        Assert.All(after.Values, s => Assert.Equal(2, s.Count));
        Assert.Subset(before["m1"].ToHashSet(), after["m1"].ToHashSet());
        Assert.Subset(before["m3"].ToHashSet(), after["m3"].ToHashSet());
    }

    [Fact]
    public void Range_only_assigns_a_topic_to_its_subscribers()
    {
        var counts = new Dictionary<Guid, int> { [TopicA] = 2, [TopicB] = 2 };
        var result = new RangeAssignor().Assign([Member("m1", [TopicA]), Member("m2", [TopicB])], counts);

        Assert.All(result["m1"], p => Assert.Equal(TopicA, p.TopicId));
        Assert.All(result["m2"], p => Assert.Equal(TopicB, p.TopicId));
        Assert.Equal(2, result["m1"].Count);
        Assert.Equal(2, result["m2"].Count);
    }

    [Theory]
    [InlineData("uniform")]
    [InlineData("range")]
    public void Random_groups_get_every_subscribed_partition_exactly_once_and_only_to_a_subscriber(string name)
    {
        var assignor = PartitionAssignors.Find(name)!;
        var random = new Random(848);
        for (var round = 0; round < 200; round++)
        {
            var topics = Enumerable.Range(0, random.Next(1, 5)).Select(_ => Guid.NewGuid()).ToList();
            var counts = topics.ToDictionary(t => t, _ => random.Next(1, 20));
            var previous = new Dictionary<string, IReadOnlySet<TopicIdPartition>>();
            var members = Enumerable.Range(0, random.Next(1, 8))
                .Select(i => Member($"m{i}", topics.Where(_ => random.Next(3) > 0).DefaultIfEmpty(topics[0])))
                .ToList();
            for (var step = 0; step < 3; step++)
            {
                var result = assignor.Assign(
                    [.. members.Select(m => Member(m.MemberId, m.SubscribedTopics, previous.GetValueOrDefault(m.MemberId)))], counts);
                var subscribed = counts.Where(c => members.Any(m => m.SubscribedTopics.Contains(c.Key))).ToDictionary();
                AssertEachPartitionOnce(result, subscribed);
                foreach (var m in members)
                {
                    Assert.All(result[m.MemberId], p => Assert.Contains(p.TopicId, m.SubscribedTopics));
                }

                previous = result.ToDictionary();
                members.RemoveAt(random.Next(members.Count));
                members.Add(Member($"n{round}-{step}", topics));
            }
        }
    }

    [Fact]
    public void Uniform_balances_a_large_homogeneous_group_to_within_one_partition()
    {
        var topics = Enumerable.Range(0, 30).Select(_ => Guid.NewGuid()).ToList();
        var counts = topics.ToDictionary(t => t, _ => 100);
        var members = Enumerable.Range(0, 100).Select(i => Member($"m{i:D3}", topics)).ToList();
        var uniform = new UniformAssignor();

        var first = uniform.Assign(members, counts);
        var second = uniform.Assign(
            [.. members.Skip(1).Select(m => Member(m.MemberId, topics, first[m.MemberId])), Member("new-1", topics), Member("new-2", topics)], counts);

        AssertEachPartitionOnce(second, counts);
        Assert.InRange(second.Values.Max(s => s.Count) - second.Values.Min(s => s.Count), 0, 1);
        var moved = second.Where(kv => first.ContainsKey(kv.Key)).Sum(kv => first[kv.Key].Count - kv.Value.Intersect(first[kv.Key]).Count());
        Assert.InRange(moved, 0, 60);
    }
}
