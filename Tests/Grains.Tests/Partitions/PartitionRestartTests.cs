using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Tests.PartitionGrains;

/// <summary>Partition data across silo restarts: kept, closed cleanly, and never mixed with a recreated topic's.</summary>
public sealed class PartitionRestartTests : IDisposable
{
    private readonly string _logDirs = PartitionClusterFixture.NewLogDirs();

    public void Dispose() => PartitionClusterFixture.DeleteLogDirs(_logDirs);

    [Fact]
    public async Task Records_survive_a_silo_restart_and_the_log_was_closed_cleanly()
    {
        var store = new SharedGrainStore();
        Orleans.Kafka.Topics.TopicInfo topic;
        await using (var cluster = await TopicClusters.StartAsync(1, store, o => o.LogDirs = _logDirs))
        {
            topic = await cluster.Client.CreateTopic("restart");
            await cluster.Client.Partition(topic).ProduceOk(topic, PartitionTestSupport.Batch("a", "b"));
        }

        var directory = Path.Combine(_logDirs, $"{topic.Name}-0");
        Assert.True(File.Exists(Path.Combine(directory, ".kafka_cleanshutdown")), "shutting the silo down did not close the log cleanly");

        await using (var restarted = await TopicClusters.StartAsync(1, store, o => o.LogDirs = _logDirs))
        {
            var partition = restarted.Client.Partition(topic);
            var fetched = await partition.Fetch(topic, 0);
            var next = await partition.ProduceOk(topic, PartitionTestSupport.Batch("c"));

            Assert.Equal([(0L, "a"), (1L, "b")], PartitionTestSupport.Values(fetched.Records));
            Assert.Equal(2, next.BaseOffset);
        }
    }

    [Fact]
    public async Task A_recreated_topic_discards_the_stale_directory_of_the_old_one()
    {
        await using var cluster = await TopicClusters.StartAsync(1, configure: o => o.LogDirs = _logDirs);
        var name = TopicTestHelpers.UniqueName("recreated");
        var directory = Path.Combine(_logDirs, $"{name}-0");

        // The old topic's data, left behind as if its deletion happened while this silo was down.
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "partition.metadata"), $"version: 0\ntopic_id: {Guid.NewGuid():D}\n");
        await File.WriteAllBytesAsync(Path.Combine(directory, "00000000000000000000.log"), PartitionTestSupport.Batch("old"));

        var topic = await cluster.Client.CreateOk(TopicTestHelpers.Spec(name));
        var partition = cluster.Client.Partition(topic);
        var fetched = await partition.Fetch(topic, 0);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("new"));
        var after = await partition.Fetch(topic, 0);

        Assert.Equal(KafkaErrorCode.None, fetched.Error);
        Assert.Equal(0, fetched.HighWatermark);
        Assert.Equal([(0L, "new")], PartitionTestSupport.Values(after.Records));
        Assert.Contains(topic.TopicId.ToString("D"), await File.ReadAllTextAsync(Path.Combine(directory, "partition.metadata")), StringComparison.Ordinal);
    }
}
