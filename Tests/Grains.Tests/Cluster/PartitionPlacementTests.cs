using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Tests.PartitionGrains;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>Partition placement over three silos with silo ids: balance, owner-only activation, outage and return.</summary>
[Collection(SiloIdClusterCollection.Name)]
public sealed class PartitionPlacementTests(SiloIdClusterFixture fixture)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task New_topic_partitions_are_balanced_over_the_live_silo_ids()
    {
        var topic = await fixture.Grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName("balanced"), 12));

        var perSilo = topic.Partitions.GroupBy(p => p.Leader).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal([1, 2, 3], perSilo.Keys.Order());
        Assert.All(perSilo.Values, count => Assert.Equal(4, count));
        Assert.All(topic.Partitions, p => Assert.Equal([p.Leader], p.Replicas));
    }

    [Fact]
    public async Task Successive_topics_start_on_different_silos()
    {
        var first = await fixture.Grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName("rotate"), 1));
        var second = await fixture.Grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName("rotate"), 1));

        Assert.NotEqual(first.Partitions[0].Leader, second.Partitions[0].Leader);
    }

    [Fact]
    public async Task A_partition_opens_its_files_only_on_its_owning_silo()
    {
        var topic = await fixture.Grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName("owned"), 6));

        foreach (var partition in topic.Partitions)
        {
            await fixture.Grains.GetPartitionGrain(topic.Name, partition.Index).ProduceOk(topic, PartitionTestSupport.Batch("v" + partition.Index));
            for (var silo = 1; silo <= SiloIdClusterFixture.Silos; silo++)
            {
                var directory = SiloIdClusterFixture.PartitionDirectoryOf(fixture.LogDirsOfSilo(silo), topic.Name, partition.Index);
                Assert.Equal(silo == partition.Leader, Directory.Exists(directory));
            }
        }
    }

    [Fact]
    public async Task A_stopped_silos_partitions_are_unavailable_and_serve_their_data_again_after_restart()
    {
        var topic = await fixture.Grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName("outage"), 3));

        // Silo 3 (a secondary: TestingHost's primary also hosts the membership table, so it stays up).
        var owned = topic.Partitions.First(p => p.Leader == 3).Index;
        var grain = fixture.Grains.GetPartitionGrain(topic.Name, owned);
        await grain.ProduceOk(topic, PartitionTestSupport.Batch("before-1", "before-2"));

        await fixture.StopAsync(3);
        var refused = await Assert.ThrowsAnyAsync<Exception>(() => fixture.Grains.GetPartitionGrain(topic.Name, owned).GetOffsets());
        Assert.Contains(PartitionUnavailableException.Marker, refused.ToString(), StringComparison.Ordinal);

        // The other silos' partitions keep serving.
        var other = topic.Partitions.First(p => p.Leader != 3).Index;
        await fixture.Grains.GetPartitionGrain(topic.Name, other).ProduceOk(topic, PartitionTestSupport.Batch("elsewhere"));

        await fixture.StartAgainAsync(3);
        var fetched = await EventuallyAsync(async () =>
        {
            var result = await fixture.Grains.GetPartitionGrain(topic.Name, owned).Fetch(topic, 0);
            return result.Error == Protocol.KafkaErrorCode.None ? PartitionTestSupport.Values(result.Records) : null;
        });
        Assert.Equal([(0L, "before-1"), (1L, "before-2")], fetched);
        var appended = await fixture.Grains.GetPartitionGrain(topic.Name, owned).ProduceOk(topic, PartitionTestSupport.Batch("after"));
        Assert.Equal(2, appended.BaseOffset);
    }

    /// <summary>Retries <paramref name="attempt"/> (placement refuses while the silo is not yet live) until it yields a value.</summary>
    private static async Task<T> EventuallyAsync<T>(Func<Task<T?>> attempt)
        where T : class
    {
        using var deadline = new CancellationTokenSource(Deadline);
        while (true)
        {
            try
            {
                if (await attempt() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex) when (ex.ToString().Contains(PartitionUnavailableException.Marker, StringComparison.Ordinal) && !deadline.IsCancellationRequested)
            {
                // Not live yet: membership has not seen the restarted silo.
            }

            await Task.Delay(100, deadline.Token);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SiloIdClusterCollection : ICollectionFixture<SiloIdClusterFixture>
{
    public const string Name = "silo-id-cluster";
}
