using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.PartitionGrains;

/// <summary>The partition grain's produce, fetch, long-poll, offset and delete paths on a real silo with real log files.</summary>
public sealed class PartitionGrainTests(PartitionClusterFixture fixture) : IClassFixture<PartitionClusterFixture>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task Appended_batches_get_consecutive_offsets_and_fetch_returns_them()
    {
        var topic = await Grains.CreateTopic("append");
        var partition = Grains.Partition(topic);

        var first = await partition.ProduceOk(topic, PartitionTestSupport.Batch("a", "b"));
        var second = await partition.ProduceOk(topic, PartitionTestSupport.Batch("c"));
        var fetched = await partition.Fetch(topic, 0);

        Assert.Equal(0, first.BaseOffset);
        Assert.Equal(2, second.BaseOffset);
        Assert.Equal(-1, first.LogAppendTimeMs);
        Assert.Equal(KafkaErrorCode.None, fetched.Error);
        Assert.Equal(3, fetched.HighWatermark);
        Assert.Equal(3, fetched.LastStableOffset);
        Assert.Equal(0, fetched.LogStartOffset);
        Assert.Equal([(0L, "a"), (1L, "b"), (2L, "c")], PartitionTestSupport.Values(fetched.Records));
    }

    [Fact]
    public async Task Fetch_at_the_high_watermark_is_empty_and_past_it_is_out_of_range()
    {
        var topic = await Grains.CreateTopic("range");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("a"));

        var atEnd = await partition.Fetch(topic, 1);
        var past = await partition.Fetch(topic, 2);

        Assert.Equal(KafkaErrorCode.None, atEnd.Error);
        Assert.Equal(0, atEnd.Records.Length);
        Assert.Equal(KafkaErrorCode.OffsetOutOfRange, past.Error);
        Assert.Equal(1, past.HighWatermark);
    }

    [Fact]
    public async Task A_long_poll_wakes_when_a_record_is_appended()
    {
        var topic = await Grains.CreateTopic("longpoll");
        var partition = Grains.Partition(topic);
        await partition.GetOffsets(); // activated, so the wait below starts on an open log

        var wait = partition.WaitForData(topic.TopicId, 0, TimeSpan.FromSeconds(15), CancellationToken.None);
        var stillWaiting = await Task.WhenAny(wait, Task.Delay(200)) != wait;
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("wake"));
        var woke = await wait.WaitAsync(Deadline);

        Assert.True(stillWaiting, "the wait returned before any data was appended");
        Assert.True(woke);
    }

    [Fact]
    public async Task A_long_poll_without_data_returns_false_at_its_timeout()
    {
        var topic = await Grains.CreateTopic("timeout");
        var partition = Grains.Partition(topic);

        var woke = await partition.WaitForData(topic.TopicId, 0, TimeSpan.FromMilliseconds(100), CancellationToken.None).WaitAsync(Deadline);

        Assert.False(woke);
    }

    [Fact]
    public async Task A_cancelled_long_poll_returns_false_without_waiting_for_its_timeout()
    {
        var topic = await Grains.CreateTopic("cancel");
        var partition = Grains.Partition(topic);
        using var cancel = new CancellationTokenSource();

        var wait = partition.WaitForData(topic.TopicId, 0, TimeSpan.FromMinutes(5), cancel.Token);
        await cancel.CancelAsync();
        var woke = await WaitOrCancelled(wait).WaitAsync(Deadline);

        Assert.False(woke);
    }

    private static async Task<bool> WaitOrCancelled(Task<bool> wait)
    {
        try
        {
            return await wait;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [Fact]
    public async Task ListOffset_answers_earliest_latest_by_timestamp_and_max_timestamp()
    {
        var topic = await Grains.CreateTopic("list");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(CompressionType.None, 1000, "a", "b"));
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(CompressionType.None, 5000, "c"));
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(CompressionType.None, 3000, "d"));

        Task<ListOffsetResult> List(long timestamp) => partition.ListOffset(new ListOffsetCommand(topic.TopicId, timestamp, FetchIsolation.ReadUncommitted));

        Assert.Equal(4, (await List(OffsetSpec.Latest)).Offset);
        Assert.Equal(0, (await List(OffsetSpec.Earliest)).Offset);
        var max = await List(OffsetSpec.MaxTimestamp);
        Assert.Equal((5000L, 2L), (max.Timestamp, max.Offset));
        var byTime = await List(2000);
        Assert.Equal((5000L, 2L), (byTime.Timestamp, byTime.Offset));
        var none = await List(9000);
        Assert.Equal((-1L, -1L), (none.Timestamp, none.Offset));
        Assert.Equal(0, byTime.LeaderEpoch);
    }

    [Fact]
    public async Task DeleteRecords_raises_the_log_start_and_rejects_offsets_past_the_high_watermark()
    {
        var topic = await Grains.CreateTopic("delete");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("a", "b", "c"));

        var deleted = await partition.DeleteRecords(topic.TopicId, 2);
        var tooFar = await partition.DeleteRecords(topic.TopicId, 10);
        var below = await partition.Fetch(topic, 1);
        var toEnd = await partition.DeleteRecords(topic.TopicId, -1);

        Assert.Equal((KafkaErrorCode.None, 2L), (deleted.Error, deleted.LowWatermark));
        Assert.Equal(KafkaErrorCode.OffsetOutOfRange, tooFar.Error);
        Assert.Equal(KafkaErrorCode.OffsetOutOfRange, below.Error);
        Assert.Equal(2, below.LogStartOffset);
        Assert.Equal((KafkaErrorCode.None, 3L), (toEnd.Error, toEnd.LowWatermark));
    }

    [Fact]
    public async Task OffsetForLeaderEpoch_ends_the_current_epoch_at_the_log_end_and_leaves_later_epochs_undefined()
    {
        var topic = await Grains.CreateTopic("epoch");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("a", "b"));

        var current = await partition.OffsetForLeaderEpoch(topic.TopicId, -1, 0);
        var later = await partition.OffsetForLeaderEpoch(topic.TopicId, -1, 3);
        var fenced = await partition.OffsetForLeaderEpoch(topic.TopicId, 1, 0);

        Assert.Equal((KafkaErrorCode.None, 0, 2L), (current.Error, current.LeaderEpoch, current.EndOffset));
        Assert.Equal((-1, -1L), (later.LeaderEpoch, later.EndOffset));
        Assert.Equal(KafkaErrorCode.UnknownLeaderEpoch, fenced.Error);
    }

    [Fact]
    public async Task Produce_maps_log_refusals_to_Kafka_error_codes()
    {
        var topic = await Grains.CreateTopic("errors", configs: new Dictionary<string, string?>
        {
            ["max.message.bytes"] = "200",
            ["message.timestamp.before.max.ms"] = "60000",
        });
        var partition = Grains.Partition(topic);
        var corrupt = PartitionTestSupport.Batch("x");
        corrupt[^1] ^= 0xFF; // breaks the CRC

        Assert.Equal(KafkaErrorCode.CorruptMessage, (await partition.Produce(topic, corrupt)).Error);
        Assert.Equal(KafkaErrorCode.MessageTooLarge, (await partition.Produce(topic, PartitionTestSupport.Batch(new string('v', 500)))).Error);
        Assert.Equal(KafkaErrorCode.InvalidTimestamp, (await partition.Produce(topic, PartitionTestSupport.Batch(CompressionType.None, 1000, "old"))).Error);
        var transactional = new Storage.Records.RecordBatchBuilder { ProducerId = 7, ProducerEpoch = 0, BaseSequence = 0, IsTransactional = true }
            .Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "k"u8, "v"u8).Build();
        Assert.Equal(KafkaErrorCode.InvalidTxnState, (await partition.Produce(topic, transactional)).Error);
        Assert.Equal(0, (await partition.GetOffsets()).LogEndOffset);
    }

    [Fact]
    public async Task Calls_for_an_unknown_topic_or_another_topic_id_are_refused()
    {
        var topic = await Grains.CreateTopic("unknown");
        var missing = Grains.GetPartitionGrain("no-such-topic-" + Guid.NewGuid().ToString("N"), 0);
        var beyond = Grains.Partition(topic, 5);

        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, (await missing.Produce(topic, PartitionTestSupport.Batch("a"))).Error);
        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, (await beyond.Fetch(topic, 0)).Error);
        // A caller holding the id of a deleted incarnation of the topic: the registry says the grain is current.
        var staleCaller = await Grains.Partition(topic).Produce(new ProduceCommand(Guid.NewGuid(), PartitionTestSupport.Batch("a"), 1, 1000));
        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, staleCaller.Error);
        Assert.Equal(KafkaErrorCode.None, (await Grains.Partition(topic).Produce(topic, PartitionTestSupport.Batch("b"))).Error);
    }

    [Fact]
    public async Task Idempotent_retries_answer_the_original_offsets_and_gaps_are_out_of_order()
    {
        var topic = await Grains.CreateTopic("idempotent");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("filler"));

        var first = await partition.ProduceOk(topic, PartitionTestSupport.IdempotentBatch(42, 0, 0, "a", "b"));
        var retry = await partition.ProduceOk(topic, PartitionTestSupport.IdempotentBatch(42, 0, 0, "a", "b"));
        var gap = await partition.Produce(topic, PartitionTestSupport.IdempotentBatch(42, 0, 5, "c"));

        Assert.Equal(1, first.BaseOffset);
        Assert.Equal(1, retry.BaseOffset);
        Assert.Equal(KafkaErrorCode.OutOfOrderSequenceNumber, gap.Error);
        Assert.Equal(3, (await partition.GetOffsets()).LogEndOffset);
    }

    [Fact]
    public async Task A_topic_compression_type_recompresses_batches_and_producer_keeps_them()
    {
        var zstd = await Grains.CreateTopic("zstd", configs: new Dictionary<string, string?> { ["compression.type"] = "zstd" });
        var keep = await Grains.CreateTopic("keep");
        await Grains.Partition(zstd).ProduceOk(zstd, PartitionTestSupport.Batch(CompressionType.Gzip, 1000, "x", "y"));
        await Grains.Partition(keep).ProduceOk(keep, PartitionTestSupport.Batch(CompressionType.Lz4, 1000, "x", "y"));

        var recompressed = await Grains.Partition(zstd).Fetch(zstd, 0);
        var kept = await Grains.Partition(keep).Fetch(keep, 0);

        Assert.Equal(CompressionType.Zstd, Assert.Single(PartitionTestSupport.Headers(recompressed.Records)).Compression);
        Assert.Equal([(0L, "x"), (1L, "y")], PartitionTestSupport.Values(recompressed.Records));
        Assert.Equal(CompressionType.Lz4, Assert.Single(PartitionTestSupport.Headers(kept.Records)).Compression);
    }

    [Fact]
    public async Task Changed_topic_configs_take_effect_after_a_reload()
    {
        var topic = await Grains.CreateTopic("reload");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(new string('v', 500)));

        var altered = await Grains.Topic(topic.Name).AlterConfigs([new ConfigAlteration("max.message.bytes", AlterConfigOp.Set, "200")], false);
        await partition.ReloadConfig();
        var refused = await partition.Produce(topic, PartitionTestSupport.Batch(new string('v', 500)));

        Assert.True(altered.IsOk);
        Assert.Equal(KafkaErrorCode.MessageTooLarge, refused.Error);
        Assert.Equal(1, (await partition.GetOffsets()).LogEndOffset);
    }

    [Fact]
    public async Task Deleting_a_topic_deletes_its_partition_directories()
    {
        var topic = await Grains.CreateTopic("dropped", partitions: 2);
        await Grains.Partition(topic, 0).ProduceOk(topic, PartitionTestSupport.Batch("a"));
        await Grains.Partition(topic, 1).ProduceOk(topic, PartitionTestSupport.Batch("b"));
        var directory = Path.Combine(fixture.LogDirs, $"{topic.Name}-0");
        Assert.True(Directory.Exists(directory));

        var deleted = await Grains.Registry().DeleteTopic(topic.Name, Guid.Empty);

        Assert.Equal(KafkaErrorCode.None, deleted.Error);
        Assert.False(Directory.Exists(directory));
        Assert.False(Directory.Exists(Path.Combine(fixture.LogDirs, $"{topic.Name}-1")));
    }

    [Fact]
    public async Task Maintenance_applies_retention_ms_to_old_records()
    {
        var topic = await Grains.CreateTopic("retention", configs: new Dictionary<string, string?> { ["retention.ms"] = "60000" });
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(CompressionType.None, 1000, "ancient"));

        await partition.RunMaintenance();
        var offsets = await partition.GetOffsets();
        var next = await partition.ProduceOk(topic, PartitionTestSupport.Batch("fresh"));

        Assert.Equal(1, offsets.LogStartOffset);
        Assert.Equal(1, next.BaseOffset);
        Assert.Equal(KafkaErrorCode.OffsetOutOfRange, (await partition.Fetch(topic, 0)).Error);
    }

    [Fact]
    public async Task DeleteRecords_on_a_compact_only_topic_is_a_policy_violation()
    {
        var topic = await Grains.CreateTopic("compact", configs: new Dictionary<string, string?> { ["cleanup.policy"] = "compact" });
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch("a"));

        var result = await partition.DeleteRecords(topic.TopicId, 1);

        Assert.Equal(KafkaErrorCode.PolicyViolation, result.Error);
    }

    [Fact]
    public async Task A_batch_larger_than_a_segment_is_RECORD_LIST_TOO_LARGE()
    {
        var topic = await Grains.CreateTopic("segment", configs: new Dictionary<string, string?> { ["segment.bytes"] = "1024", ["max.message.bytes"] = "100000" });
        var partition = Grains.Partition(topic);

        var result = await partition.Produce(topic, PartitionTestSupport.Batch(new string('x', 4000)));

        Assert.Equal(KafkaErrorCode.RecordListTooLarge, result.Error);
    }

    [Fact]
    public async Task Under_LogAppendTime_the_broker_stamps_batches_and_answers_the_time()
    {
        var topic = await Grains.CreateTopic("appendtime", configs: new Dictionary<string, string?> { ["message.timestamp.type"] = "LogAppendTime" });
        var partition = Grains.Partition(topic);
        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var result = await partition.ProduceOk(topic, PartitionTestSupport.Batch(CompressionType.None, 1000, "a"));
        var stored = Assert.Single(PartitionTestSupport.Headers((await partition.Fetch(topic, 0)).Records));

        Assert.True(result.LogAppendTimeMs >= before, $"log_append_time {result.LogAppendTimeMs} is before {before}");
        Assert.Equal(result.LogAppendTimeMs, stored.MaxTimestamp);
        Assert.Equal(Storage.Records.TimestampType.LogAppendTime, stored.TimestampType);
    }

    [Fact]
    public async Task A_produce_carrying_newer_topic_configs_applies_them_at_once()
    {
        var topic = await Grains.CreateTopic("newer");
        var partition = Grains.Partition(topic);
        await partition.ProduceOk(topic, PartitionTestSupport.Batch(new string('v', 500)));
        await Grains.Topic(topic.Name).AlterConfigs([new ConfigAlteration("max.message.bytes", AlterConfigOp.Set, "200")], false);
        var current = (await Grains.Registry().GetTopic(topic.Name))!;

        var refused = await partition.Produce(new ProduceCommand(current.TopicId, PartitionTestSupport.Batch(new string('v', 500)), 1, 30000, current.ConfigOverrides));

        Assert.Equal(KafkaErrorCode.MessageTooLarge, refused.Error);
    }
}
