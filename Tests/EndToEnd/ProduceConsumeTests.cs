using System.Buffers.Binary;
using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

// Inside the namespace so it wins over Orleans.ErrorCode.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>Produce and fetch through Confluent.Kafka (librdkafka), one in-process broker for the class.</summary>
public sealed class ProduceConsumeTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private const int RecordCount = 100_000;
    private const int Partitions = 4;

    public static TheoryData<string> Codecs => new() { "none", "gzip", "snappy", "lz4", "zstd" };

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task Keyed_records_with_headers_round_trip_byte_identical_and_in_order_per_partition(string codec)
    {
        var topic = $"roundtrip-{codec}";
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, topic, Partitions);
        var sent = GeneratedRecords.Make(RecordCount, seed: codec.Sum(c => c));

        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        config.CompressionType = Enum.Parse<CompressionType>(codec, ignoreCase: true);
        var reports = await ProduceAllAsync(config, topic, sent);

        // Every record acknowledged; per partition, produce order is offset order.
        var failures = reports.Where(r => r.Error.IsError).Take(3).Select(r => r.Error.ToString()).ToList();
        Assert.True(failures.Count == 0, $"delivery failed: {string.Join("; ", failures)}");
        var byPartition = Enumerable.Range(0, RecordCount)
            .GroupBy(i => reports[i].Partition.Value)
            .ToDictionary(g => g.Key, g => g.ToList());
        Assert.True(byPartition.Count > 1, "keys should spread over several partitions");
        foreach (var (partition, indexes) in byPartition)
        {
            var offsets = indexes.Select(i => reports[i].Offset.Value).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(o => (long)o), offsets);
        }

        var endOffsets = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => (long)(byPartition.GetValueOrDefault(p)?.Count ?? 0));
        var consumed = await KafkaClients.ConsumeToAsync(fixture.BootstrapServers, topic, endOffsets);

        foreach (var (partition, indexes) in byPartition)
        {
            var got = consumed[partition];
            Assert.Equal(indexes.Count, got.Count);
            for (var n = 0; n < indexes.Count; n++)
            {
                GeneratedRecords.AssertSame(sent[indexes[n]], got[n], expectedOffset: n);
            }
        }

        Assert.Equal(endOffsets, KafkaClients.HighWatermarks(fixture.BootstrapServers, topic, Partitions));
    }

    [Fact]
    public async Task Producing_to_a_missing_topic_auto_creates_it_and_the_record_is_readable()
    {
        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        using var producer = KafkaClients.Producer(config);
        var result = await producer.ProduceAsync("auto-created-by-produce", new Message<byte[], byte[]> { Key = "k"u8.ToArray(), Value = "v"u8.ToArray() });

        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.Equal(0, result.Offset.Value);
        var consumed = await KafkaClients.ConsumeToAsync(fixture.BootstrapServers, "auto-created-by-produce", new Dictionary<int, long> { [0] = 1 });
        Assert.Equal("v"u8.ToArray(), Assert.Single(consumed[0]).Message.Value);
    }

    [Fact]
    public async Task Producing_to_a_partition_that_does_not_exist_fails_with_unknown_partition()
    {
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, "two-partitions", 2);
        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        config.MessageTimeoutMs = 5000;
        using var producer = KafkaClients.Producer(config);

        var error = await Assert.ThrowsAsync<ProduceException<byte[], byte[]>>(() =>
            producer.ProduceAsync(new TopicPartition("two-partitions", 7), new Message<byte[], byte[]> { Value = "x"u8.ToArray() }));

        Assert.Equal(ErrorCode.Local_UnknownPartition, error.Error.Code);
    }

    [Fact]
    public async Task A_record_larger_than_max_message_bytes_is_rejected_and_nothing_is_appended()
    {
        using (var admin = KafkaClients.Admin(fixture.BootstrapServers))
        {
            await admin.CreateTopicsAsync([new Confluent.Kafka.Admin.TopicSpecification
            {
                Name = "small-messages",
                NumPartitions = 1,
                Configs = new Dictionary<string, string> { ["max.message.bytes"] = "2000" },
            }]);
        }

        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        config.MessageTimeoutMs = 10000;
        using var producer = KafkaClients.Producer(config);
        var error = await Assert.ThrowsAsync<ProduceException<byte[], byte[]>>(() =>
            producer.ProduceAsync("small-messages", new Message<byte[], byte[]> { Value = new byte[10_000] }));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);

        var small = await producer.ProduceAsync("small-messages", new Message<byte[], byte[]> { Value = new byte[100] });
        Assert.Equal(0, small.Offset.Value);
    }

    private static Task<DeliveryReport<byte[], byte[]>[]> ProduceAllAsync(ProducerConfig config, string topic, IReadOnlyList<Message<byte[], byte[]>> records) => Task.Run(() =>
    {
        var reports = new DeliveryReport<byte[], byte[]>[records.Count];
        var pending = records.Count;
        using var producer = KafkaClients.Producer(config);
        for (var i = 0; i < records.Count; i++)
        {
            var index = i;
            producer.Produce(topic, records[i], report =>
            {
                reports[index] = report;
                Interlocked.Decrement(ref pending);
            });
        }

        var remaining = producer.Flush(KafkaClients.Patience);
        Assert.True(remaining == 0 && Volatile.Read(ref pending) == 0, $"{remaining} records still queued after {KafkaClients.Patience}");
        return reports;
    });
}

/// <summary>Deterministic keyed records with headers, null/empty values and explicit timestamps.</summary>
internal static class GeneratedRecords
{
    private static readonly long BaseTimestamp = RecentTimestamps.Base;

    public static List<Message<byte[], byte[]>> Make(int count, int seed)
    {
        var random = new Random(seed);
        var records = new List<Message<byte[], byte[]>>(count);
        for (var i = 0; i < count; i++)
        {
            var headers = new Headers
            {
                { "seq", BigEndian(i) },
                { "trace", RandomBytes(random, random.Next(0, 24)) },
            };
            if (i % 10 == 0) headers.Add("empty", []);
            if (i % 13 == 0) headers.Add("null", null);
            if (i % 17 == 0) headers.Add("seq", BigEndian(-i)); // duplicate header keys are legal and keep their order

            records.Add(new Message<byte[], byte[]>
            {
                Key = Encoding.UTF8.GetBytes($"key-{random.Next(0, 5000)}"),
                Value = i % 997 == 0 ? null! : i % 991 == 0 ? [] : Value(random),
                Headers = headers,
                Timestamp = new Timestamp(BaseTimestamp + i, TimestampType.CreateTime),
            });
        }

        return records;
    }

    public static void AssertSame(Message<byte[], byte[]> sent, ConsumeResult<byte[], byte[]> got, long expectedOffset)
    {
        Assert.Equal(expectedOffset, got.Offset.Value);
        Assert.Equal(sent.Key, got.Message.Key);
        Assert.Equal(sent.Value, got.Message.Value);
        Assert.Equal(sent.Timestamp.UnixTimestampMs, got.Message.Timestamp.UnixTimestampMs);
        Assert.Equal(TimestampType.CreateTime, got.Message.Timestamp.Type);
        var sentHeaders = sent.Headers.Select(h => (h.Key, Bytes: h.GetValueBytes())).ToList();
        var gotHeaders = got.Message.Headers.Select(h => (h.Key, Bytes: h.GetValueBytes())).ToList();
        Assert.Equal(sentHeaders.Count, gotHeaders.Count);
        for (var h = 0; h < sentHeaders.Count; h++)
        {
            Assert.Equal(sentHeaders[h].Key, gotHeaders[h].Key);
            Assert.Equal(sentHeaders[h].Bytes, gotHeaders[h].Bytes);
        }
    }

    /// <summary>Half text (compressible), half random bytes (not), so every codec does real work.</summary>
    private static byte[] Value(Random random)
    {
        var length = random.Next(1, 400);
        var value = new byte[length];
        if (random.Next(2) == 0)
        {
            random.NextBytes(value);
        }
        else
        {
            var text = "the quick brown fox jumps over the lazy dog "u8;
            for (var n = 0; n < length; n++) value[n] = text[n % text.Length];
        }

        return value;
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] BigEndian(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }
}
