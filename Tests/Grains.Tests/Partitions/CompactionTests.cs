using System.Text;
using Orleans.Kafka.Grains.Partitions;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.PartitionGrains;

/// <summary>Compacted topics on a real silo: the partition grain runs the log cleaner and refuses keyless records.</summary>
public sealed class CompactionTests(PartitionClusterFixture fixture) : IClassFixture<PartitionClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private IGrainFactory Grains => fixture.Grains;

    /// <summary>A one-record batch (~75 bytes) fills a segment, so each append closes the previous one (Kafka refuses batches larger than segment.bytes).</summary>
    private static Dictionary<string, string?> CompactConfigs(string policy = "compact") => new()
    {
        ["cleanup.policy"] = policy,
        ["segment.bytes"] = "120",
        ["min.cleanable.dirty.ratio"] = "0.01",
    };

    [Fact]
    public async Task Maintenance_compacts_closed_segments_to_the_newest_value_per_key_at_original_offsets()
    {
        var topic = await Grains.CreateTopic("compact", configs: CompactConfigs());
        var partition = Grains.Partition(topic);
        (string Key, string? Value)[] writes =
        [
            ("k1", "a"), ("k2", "b"), ("k1", "c"), ("k3", "d"), ("k2", null), ("k3", "e"), ("k4", "f"),
        ];
        foreach (var (key, value) in writes)
        {
            await partition.ProduceOk(topic, KeyedBatch(CompressionType.None, (key, value)));
        }

        // Offsets 0..5 sit in closed segments; 6 (k4=f) is the active one, never cleaned.
        (long, string, string?)[] expected = [(2, "k1", "c"), (4, "k2", null), (5, "k3", "e"), (6, "k4", "f")];
        var seen = await EventuallyFetched(topic, partition, records => records.SequenceEqual(expected));

        Assert.Equal(expected, seen);
        var offsets = await partition.GetOffsets();
        Assert.Equal(0, offsets.LogStartOffset);
        Assert.Equal(7, offsets.LogEndOffset);
    }

    [Fact]
    public async Task Compressed_batches_are_compacted_record_by_record()
    {
        var topic = await Grains.CreateTopic("compact-lz4", configs: CompactConfigs("compact,delete"));
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, KeyedBatch(CompressionType.Lz4, ("a", "1"), ("b", "1"), ("c", "1")));
        await partition.ProduceOk(topic, KeyedBatch(CompressionType.Lz4, ("a", "2"), ("b", "2")));
        await partition.ProduceOk(topic, KeyedBatch(CompressionType.Lz4, ("z", "active")));

        (long, string, string?)[] expected = [(2, "c", "1"), (3, "a", "2"), (4, "b", "2"), (5, "z", "active")];
        var seen = await EventuallyFetched(topic, partition, records => records.SequenceEqual(expected));

        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task An_idempotent_producer_goes_on_after_its_batches_were_compacted()
    {
        var topic = await Grains.CreateTopic("compact-idem", configs: CompactConfigs());
        var partition = Grains.Partition(topic);
        const long producerId = 4242;
        await partition.ProduceOk(topic, KeyedIdempotentBatch(producerId, 0, "k", "a"));
        await partition.ProduceOk(topic, KeyedIdempotentBatch(producerId, 1, "k", "b"));
        await partition.ProduceOk(topic, KeyedIdempotentBatch(producerId, 2, "k", "c"));
        await EventuallyFetched(topic, partition, records => records.Count == 2 && records[0].Offset == 1);

        var retried = await partition.Produce(topic, KeyedIdempotentBatch(producerId, 2, "k", "c"));
        var next = await partition.Produce(topic, KeyedIdempotentBatch(producerId, 3, "k", "d"));
        var gap = await partition.Produce(topic, KeyedIdempotentBatch(producerId, 5, "k", "e"));

        Assert.Equal((KafkaErrorCode.None, 2L), (retried.Error, retried.BaseOffset));
        Assert.Equal((KafkaErrorCode.None, 3L), (next.Error, next.BaseOffset));
        Assert.Equal(KafkaErrorCode.OutOfOrderSequenceNumber, gap.Error);
    }

    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Zstd)]
    public async Task Compacted_topics_refuse_records_without_a_key(CompressionType compression)
    {
        var topic = await Grains.CreateTopic("keyless", configs: CompactConfigs());
        var partition = Grains.Partition(topic);
        var batch = new RecordBatchBuilder(compression)
            .Add(Now(), Encoding.UTF8.GetBytes("k"), Encoding.UTF8.GetBytes("keyed"))
            .Add(Now(), null, Encoding.UTF8.GetBytes("keyless"))
            .Build();

        var refused = await partition.Produce(topic, batch);

        Assert.Equal(KafkaErrorCode.InvalidRecord, refused.Error);
        Assert.Equal($"Compacted topic cannot accept message without key in topic partition {topic.Name}-0.", refused.ErrorMessage);
        Assert.Equal(0, (await partition.GetOffsets()).LogEndOffset);
    }

    [Fact]
    public async Task Switching_cleanup_policy_to_delete_stops_compaction_and_accepts_keyless_records()
    {
        var topic = await Grains.CreateTopic("to-delete", configs: CompactConfigs());
        var partition = Grains.Partition(topic);
        var keyless = new RecordBatchBuilder().Add(Now(), null, Encoding.UTF8.GetBytes("v")).Build();
        Assert.Equal(KafkaErrorCode.InvalidRecord, (await partition.Produce(topic, keyless)).Error);
        await partition.ProduceOk(topic, KeyedBatch(CompressionType.None, ("k", "1")));
        await partition.ProduceOk(topic, KeyedBatch(CompressionType.None, ("k", "2")));

        var altered = await Grains.Topic(topic.Name).AlterConfigs([new ConfigAlteration("cleanup.policy", AlterConfigOp.Set, "delete")], false);
        await partition.ReloadConfig();
        var accepted = await partition.Produce(topic, keyless);
        await partition.RunMaintenance();
        var fetched = await partition.Fetch(topic, 0);

        Assert.True(altered.IsOk);
        Assert.Equal((KafkaErrorCode.None, 2L), (accepted.Error, accepted.BaseOffset));
        // Delete policy: nothing is compacted away, the overwritten value stays.
        Assert.Equal(["1", "2", "v"], PartitionTestSupport.Values(fetched.Records).Select(r => r.Value));
    }

    [Fact]
    public void Cleaner_settings_come_from_the_topic_configs_with_Kafka_defaults()
    {
        var defaults = PartitionCompaction.ConfigFrom(new Dictionary<string, string> { ["cleanup.policy"] = "compact" });
        var tuned = PartitionCompaction.ConfigFrom(new Dictionary<string, string>
        {
            ["min.cleanable.dirty.ratio"] = "0.2",
            ["delete.retention.ms"] = "1000",
            ["min.compaction.lag.ms"] = "5000",
            ["max.compaction.lag.ms"] = "60000",
        });
        var conflicting = PartitionCompaction.ConfigFrom(new Dictionary<string, string>
        {
            ["min.compaction.lag.ms"] = "5000",
            ["max.compaction.lag.ms"] = "10",
        });

        Assert.Equal((0.5, 86400000L, 0L, long.MaxValue), (defaults.MinCleanableDirtyRatio, defaults.DeleteRetentionMs, defaults.MinCompactionLagMs, defaults.MaxCompactionLagMs));
        Assert.Equal((0.2, 1000L, 5000L, 60000L), (tuned.MinCleanableDirtyRatio, tuned.DeleteRetentionMs, tuned.MinCompactionLagMs, tuned.MaxCompactionLagMs));
        Assert.Equal(5000L, conflicting.MaxCompactionLagMs);
        conflicting.Validate();
        Assert.False(PartitionCompaction.Compacts(new Dictionary<string, string>()));
        Assert.False(PartitionCompaction.Compacts(new Dictionary<string, string> { ["cleanup.policy"] = "delete" }));
        Assert.True(PartitionCompaction.Compacts(new Dictionary<string, string> { ["cleanup.policy"] = "compact,delete" }));
    }

    private async Task<List<(long Offset, string Key, string? Value)>> EventuallyFetched(
        TopicInfo topic, IPartitionGrain partition, Func<List<(long Offset, string Key, string? Value)>, bool> done)
    {
        var deadline = DateTime.UtcNow + Deadline;
        while (true)
        {
            // Maintenance asks for a pass at once (the pass itself runs in the background).
            await partition.RunMaintenance();
            var fetched = await partition.Fetch(topic, 0);
            Assert.Equal(KafkaErrorCode.None, fetched.Error);
            var records = KeyedValues(fetched.Records);
            if (done(records))
            {
                return records;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"not compacted as expected in {Deadline}; fetched {string.Join(", ", records)}");
            }

            await Task.Delay(50);
        }
    }

    private static long Now() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static byte[] KeyedBatch(CompressionType compression, params (string Key, string? Value)[] records) =>
        PartitionTestSupport.KeyedBatch(compression, records);

    private static byte[] KeyedIdempotentBatch(long producerId, int sequence, string key, string value) =>
        new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = 0, BaseSequence = sequence }
            .Add(Now(), Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value))
            .Build();

    /// <summary>(offset, key, value or null for a tombstone) of every record in fetched batches.</summary>
    private static List<(long Offset, string Key, string? Value)> KeyedValues(ReadOnlyMemory<byte> records)
    {
        var result = new List<(long, string, string?)>();
        var scratch = new System.Buffers.ArrayBufferWriter<byte>();
        var span = records.Span;
        while (span.Length > 0)
        {
            Assert.True(RecordBatch.TryPeekSize(span, out var size));
            var batch = span[..size];
            Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out var header, out _));
            foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
            {
                result.Add((header.BaseOffset + record.OffsetDelta, Encoding.UTF8.GetString(record.Key), record.ValueIsNull ? null : Encoding.UTF8.GetString(record.Value)));
            }

            span = span[size..];
        }

        return result;
    }
}
