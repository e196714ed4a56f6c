using System.Text;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.PartitionGrains;

/// <summary>Idempotence across a restart whose producer state is rebuilt from a compacted log alone.</summary>
public sealed class CompactionRestartTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);
    private readonly string _logDirs = PartitionClusterFixture.NewLogDirs();

    public void Dispose() => PartitionClusterFixture.DeleteLogDirs(_logDirs);

    [Fact]
    public async Task A_producer_whose_only_batch_was_compacted_away_is_still_known_after_a_restart_without_snapshots()
    {
        const long producerId = 777;
        var store = new SharedGrainStore();
        TopicInfo topic;
        await using (var cluster = await TopicClusters.StartAsync(1, store, o => o.LogDirs = _logDirs))
        {
            topic = await cluster.Client.CreateTopic("compact-restart", configs: new Dictionary<string, string?>
            {
                ["cleanup.policy"] = "compact",
                ["segment.bytes"] = "120",
                ["min.cleanable.dirty.ratio"] = "0.01",
            });
            var partition = cluster.Client.Partition(topic);
            await partition.ProduceOk(topic, Batch(producerId, 0, "k", "from-producer")); // offset 0, overwritten below
            await partition.ProduceOk(topic, Batch(-1, -1, "k", "overwrite"));             // offset 1
            await partition.ProduceOk(topic, Batch(-1, -1, "z", "active"));                // offset 2, active segment

            var deadline = DateTime.UtcNow + Deadline;
            while (Offsets(await partition.Fetch(topic, 0)) is var offsets && !offsets.SequenceEqual([1L, 2L]))
            {
                Assert.True(DateTime.UtcNow < deadline, $"not compacted in {Deadline}: offsets {string.Join(",", offsets)}");
                await partition.RunMaintenance();
                await Task.Delay(50);
            }

            // Kafka's rule: the producer's last batch stays, emptied, so its sequence survives the clean.
            var headers = PartitionTestSupport.Headers((await partition.Fetch(topic, 0)).Records);
            Assert.Contains(headers, h => h.ProducerId == producerId && h.BaseOffset == 0 && h.RecordCount == 0);
        }

        var directory = Path.Combine(_logDirs, $"{topic.Name}-0");
        Assert.True(File.Exists(Path.Combine(directory, ".kafka_cleanshutdown")), "the compacted log was not closed cleanly at shutdown");

        // Without snapshots the producer state is replayed from the log, where only the emptied header of the
        // producer's batch remains: it must still carry the producer's id and sequence.
        foreach (var snapshot in Directory.GetFiles(directory, "*.snapshot"))
        {
            File.Delete(snapshot);
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store, o => o.LogDirs = _logDirs))
        {
            var partition = restarted.Client.Partition(topic);
            var retried = await partition.Produce(topic, Batch(producerId, 0, "k", "from-producer"));
            var next = await partition.Produce(topic, Batch(producerId, 1, "k", "next"));

            Assert.Equal((KafkaErrorCode.None, 0L), (retried.Error, retried.BaseOffset));
            Assert.Equal((KafkaErrorCode.None, 3L), (next.Error, next.BaseOffset));
        }
    }

    /// <summary>One keyed record; <paramref name="producerId"/> -1 for a plain (non-idempotent) batch.</summary>
    private static byte[] Batch(long producerId, int sequence, string key, string value) =>
        new RecordBatchBuilder
        {
            ProducerId = producerId,
            ProducerEpoch = producerId < 0 ? (short)-1 : (short)0,
            BaseSequence = producerId < 0 ? -1 : sequence,
        }
            .Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value))
            .Build();

    /// <summary>The offsets of the records in fetched batches (compacted batches have gaps, so offset deltas are read).</summary>
    private static List<long> Offsets(FetchResult fetched)
    {
        Assert.Equal(KafkaErrorCode.None, fetched.Error);
        var offsets = new List<long>();
        var scratch = new System.Buffers.ArrayBufferWriter<byte>();
        var span = fetched.Records.Span;
        while (span.Length > 0)
        {
            Assert.True(RecordBatch.TryPeekSize(span, out var size));
            Assert.Equal(BatchError.None, RecordBatch.Validate(span[..size], out var header, out _));
            foreach (var record in RecordBatch.GetRecords(span[..size], header, scratch))
            {
                offsets.Add(header.BaseOffset + record.OffsetDelta);
            }

            span = span[size..];
        }

        return offsets;
    }
}
