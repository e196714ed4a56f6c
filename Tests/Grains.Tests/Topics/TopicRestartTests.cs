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
        // Simulates a crash between the registry's delete and the topic grain's clear: the topic records come back.
        var store = new SharedGrainStore();
        var read = UniqueName("leftover-read");
        var recreate = UniqueName("leftover-recreate");
        var oldIds = new Dictionary<string, Guid>();
        await using (var cluster = await TopicClusters.StartAsync(1, store))
        {
            foreach (var name in new[] { read, recreate })
            {
                oldIds[name] = (await cluster.Client.CreateOk(Spec(name, partitions: 2))).TopicId;
                var key = TopicRecordKey(store, name)!;
                var record = store.Records[key];
                await cluster.Client.Registry().DeleteTopic(name, Guid.Empty);
                store.Records[key] = record;
            }
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store))
        {
            // Touching the topic grain first: it finds itself unlisted and forgets the old topic.
            Assert.Null(await restarted.Client.Topic(read).GetInfo());
            Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, (await restarted.Client.Topic(read).CreatePartitions(3, null, false)).Error);
            Assert.Null(TopicRecordKey(store, read));

            // Recreating first: the registry's Initialize activates the grain, which checks back with the registry mid-create.
            var created = await restarted.Client.CreateOk(Spec(recreate, partitions: 1)).WaitAsync(TimeSpan.FromSeconds(20));
            Assert.NotEqual(oldIds[recreate], created.TopicId);
            var held = await restarted.Client.Topic(recreate).GetInfo();
            Assert.Equal(created.TopicId, held!.TopicId);
            Assert.Single(held.Partitions);
        }
    }

    private static string? TopicRecordKey(SharedGrainStore store, string name) =>
        store.Records.Keys.SingleOrDefault(k => k.StartsWith("topic/", StringComparison.Ordinal) && k.EndsWith("/" + name, StringComparison.Ordinal));

    [Fact]
    public async Task Topic_id_survives_a_silo_restart_on_file_storage()
    {
        var root = Path.Combine(Path.GetTempPath(), "okafka-topics-" + Guid.NewGuid().ToString("N"));
        try
        {
            var name = UniqueName("onfile");
            TopicInfo created;
            await using (var cluster = await TopicClusters.StartAsync(1, fileStorageRoot: root))
            {
                created = await cluster.Client.CreateOk(Spec(name, partitions: 2, configs: new Dictionary<string, string?> { ["segment.bytes"] = "1048576" }));
            }

            await using (var restarted = await TopicClusters.StartAsync(1, fileStorageRoot: root))
            {
                var listed = await restarted.Client.Registry().GetTopic(name);
                var held = await restarted.Client.Topic(name).GetInfo();
                Assert.Equal(created.TopicId, listed!.TopicId);
                Assert.Equal(created.TopicId, held!.TopicId);
                Assert.Equal(2, held.Partitions.Count);
                Assert.Equal("1048576", held.ConfigOverrides["segment.bytes"]);
            }
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }

    [Fact]
    public async Task Create_whose_registry_write_fails_leaves_no_topic_behind()
    {
        var store = new SharedGrainStore();
        var name = UniqueName("nowrite");
        await using var cluster = await TopicClusters.StartAsync(1, store);
        await cluster.Client.CreateOk(Spec(UniqueName("warm")));
        store.FailWrites = key => key.StartsWith("topicRegistry-", StringComparison.Ordinal);

        await Assert.ThrowsAsync<OrleansException>(() => cluster.Client.Registry().CreateTopic(Spec(name), validateOnly: false));

        store.FailWrites = null;
        Assert.Null(await cluster.Client.Registry().GetTopic(name));
        Assert.Null(await cluster.Client.Topic(name).GetInfo());
        Assert.Null(TopicRecordKey(store, name));
        await cluster.Client.CreateOk(Spec(name));
    }

    [Fact]
    public async Task Change_whose_registry_push_failed_reaches_the_registry_on_reactivation()
    {
        var store = new SharedGrainStore();
        var name = UniqueName("heal");
        await using var cluster = await TopicClusters.StartAsync(1, store);
        await cluster.Client.CreateOk(Spec(name));
        store.FailWrites = key => key.StartsWith("topicRegistry-", StringComparison.Ordinal);

        await Assert.ThrowsAsync<OrleansException>(() =>
            cluster.Client.Topic(name).AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "77")], validateOnly: false));

        store.FailWrites = null;
        Assert.Empty((await cluster.Client.Registry().GetTopic(name))!.ConfigOverrides);
        await cluster.DeactivateAsync(cluster.Client.Topic(name));
        Assert.Equal("77", (await cluster.Client.Topic(name).GetInfo())!.ConfigOverrides["retention.ms"]);
        Assert.Equal("77", (await cluster.Client.Registry().GetTopic(name))!.ConfigOverrides["retention.ms"]);
    }

    [Fact]
    public async Task Change_made_while_the_registry_is_still_storing_the_new_topic_is_not_lost()
    {
        var store = new SharedGrainStore();
        var name = UniqueName("midcreate");
        await using var cluster = await TopicClusters.StartAsync(1, store);
        await cluster.Client.CreateOk(Spec(UniqueName("warm")));
        var writeStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeWrite = key =>
        {
            if (!key.StartsWith("topicRegistry-", StringComparison.Ordinal) || release.Task.IsCompleted)
            {
                return Task.CompletedTask;
            }

            writeStarted.TrySetResult();
            return release.Task;
        };

        var create = cluster.Client.Registry().CreateTopic(Spec(name), validateOnly: false);
        await writeStarted.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var alter = await cluster.Client.Topic(name)
            .AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "5")], validateOnly: false)
            .WaitAsync(TimeSpan.FromSeconds(20));
        release.SetResult();
        var created = await create.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(AdminResult.Ok, alter);
        Assert.Equal(KafkaErrorCode.None, created.Error);
        Assert.Equal("5", (await cluster.Client.Registry().GetTopic(name))!.ConfigOverrides["retention.ms"]);
        await cluster.DeactivateAsync(cluster.Client.Registry());
        Assert.Equal("5", (await cluster.Client.Registry().GetTopic(name))!.ConfigOverrides["retention.ms"]);
    }

    [Fact]
    public async Task A_create_rewrites_one_registry_bucket_not_the_whole_catalogue()
    {
        var store = new SharedGrainStore();
        await using var cluster = await TopicClusters.StartAsync(1, store);
        for (var i = 0; i < 40; i++)
        {
            await cluster.Client.CreateOk(Spec(UniqueName("spread")));
        }

        var registryWrites = new List<string>();
        store.BeforeWrite = key =>
        {
            if (key.StartsWith("topicRegistry-", StringComparison.Ordinal))
            {
                lock (registryWrites)
                {
                    registryWrites.Add(key);
                }
            }

            return Task.CompletedTask;
        };
        await cluster.Client.CreateOk(Spec(UniqueName("one-more")));

        Assert.Single(registryWrites);
        Assert.True(store.Records.Keys.Count(k => k.StartsWith("topicRegistry-", StringComparison.Ordinal)) > 4);
        Assert.Equal(41, (await cluster.Client.Registry().ListTopics()).Count);
    }
}
