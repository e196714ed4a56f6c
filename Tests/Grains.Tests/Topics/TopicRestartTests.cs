using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Topics;

/// <summary>Whole-cluster restarts over storage the test keeps (<see cref="SharedGrainStore"/>), standing in for files on disk.</summary>
public sealed class TopicRestartTests
{
    [Fact]
    public async Task Topic_ids_partitions_and_configs_survive_a_cluster_restart()
    {
        var store = new SharedGrainStore();
        var name = UniqueName("durable");
        TopicInfo created;
        await using (var cluster = await TopicClusters.StartAsync(1, store))
        {
            created = await cluster.Client.CreateOk(Spec(name, partitions: 2, configs: new Dictionary<string, string?> { ["retention.ms"] = "42" }));
            await cluster.Client.Topic(name).CreatePartitions(3, null, false);
            await cluster.Client.Topic(name).AlterConfigs([new ConfigAlteration("cleanup.policy", AlterConfigOp.Set, "compact")], false);
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store))
        {
            var listed = await restarted.Client.Registry().GetTopic(name);
            var held = await restarted.Client.Topic(name).GetInfo();

            Assert.Equal(created.TopicId, listed!.TopicId);
            Assert.Equal(created.TopicId, held!.TopicId);
            Assert.Equal(3, held.Partitions.Count);
            Assert.Equal(3, listed.Partitions.Count);
            var expected = new Dictionary<string, string> { ["retention.ms"] = "42", ["cleanup.policy"] = "compact" };
            Assert.Equal(expected, held.ConfigOverrides);
            Assert.Equal(expected, listed.ConfigOverrides);
        }
    }

    [Fact]
    public async Task Deleted_topic_stays_deleted_after_restart_and_recreation_gets_a_new_id()
    {
        var store = new SharedGrainStore();
        var name = UniqueName("deleted");
        Guid firstId;
        await using (var cluster = await TopicClusters.StartAsync(1, store))
        {
            firstId = (await cluster.Client.CreateOk(Spec(name))).TopicId;
            Assert.Equal(KafkaErrorCode.None, (await cluster.Client.Registry().DeleteTopic(name, Guid.Empty)).Error);
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store))
        {
            Assert.Null(await restarted.Client.Registry().GetTopic(name));
            Assert.Null(await restarted.Client.Topic(name).GetInfo());
            var second = await restarted.Client.CreateOk(Spec(name));
            Assert.NotEqual(firstId, second.TopicId);
        }
    }

    [Fact]
    public async Task Leftover_topic_state_the_registry_does_not_list_is_dropped()
    {
        // Simulates a crash between the registry's delete and the topic grain's clear: the topic record comes back.
        var store = new SharedGrainStore();
        var name = UniqueName("leftover");
        await using (var cluster = await TopicClusters.StartAsync(1, store))
        {
            await cluster.Client.CreateOk(Spec(name));
            var key = store.Records.Keys.Single(k => k.StartsWith("topic/", StringComparison.Ordinal) && k.EndsWith(name, StringComparison.Ordinal));
            var record = store.Records[key];
            await cluster.Client.Registry().DeleteTopic(name, Guid.Empty);
            store.Records[key] = record;
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store))
        {
            Assert.Null(await restarted.Client.Topic(name).GetInfo());
            Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition,
                (await restarted.Client.Topic(name).CreatePartitions(2, null, false)).Error);
            Assert.DoesNotContain(store.Records.Keys, k => k.StartsWith("topic/", StringComparison.Ordinal) && k.EndsWith(name, StringComparison.Ordinal));
        }
    }
}
