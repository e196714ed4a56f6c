using System.Text;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.EndToEnd;

/// <summary>Fetch sizing and topic configs that change what a consumer sees, through Confluent.Kafka.</summary>
public sealed class TopicBehaviourTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    [Fact]
    public async Task A_batch_larger_than_the_fetch_limits_is_still_returned_whole()
    {
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, "big-records", 1);
        var random = new Random(7);
        var values = Enumerable.Range(0, 3).Select(_ =>
        {
            var value = new byte[200_000];
            random.NextBytes(value);
            return value;
        }).ToList();
        using (var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(fixture.BootstrapServers)))
        {
            foreach (var value in values)
            {
                await producer.ProduceAsync("big-records", new Message<byte[], byte[]> { Value = value });
            }
        }

        // Kafka (KIP-74) returns the first batch even when it exceeds max.partition.fetch.bytes and fetch.max.bytes,
        // so a consumer with small limits still makes progress.
        var config = KafkaClients.ConsumerConfig(fixture.BootstrapServers);
        config.MaxPartitionFetchBytes = 10_000;
        config.FetchMaxBytes = 10_000;
        config.MessageMaxBytes = 1_000;
        var consumed = await ConsumeAsync(config, "big-records", 3);

        Assert.Equal(values, consumed.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task Many_small_batches_are_read_in_order_across_many_size_limited_fetches()
    {
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, "many-batches", 1);
        var producerConfig = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        producerConfig.BatchSize = 2_000; // many small batches
        using (var producer = KafkaClients.Producer(producerConfig))
        {
            for (var n = 0; n < 5_000; n++)
            {
                producer.Produce("many-batches", new Message<byte[], byte[]> { Value = Encoding.UTF8.GetBytes($"record {n}") });
            }

            Assert.Equal(0, await Task.Run(() => producer.Flush(KafkaClients.Patience)));
        }

        var config = KafkaClients.ConsumerConfig(fixture.BootstrapServers);
        config.MaxPartitionFetchBytes = 4_096;
        config.FetchMaxBytes = 4_096;
        config.MessageMaxBytes = 1_000;
        var consumed = await ConsumeAsync(config, "many-batches", 5_000);

        Assert.Equal(Enumerable.Range(0, 5_000).Select(n => $"record {n}"), consumed.Select(r => Encoding.UTF8.GetString(r.Message.Value)));
        Assert.Equal(Enumerable.Range(0, 5_000).Select(n => (long)n), consumed.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task A_log_append_time_topic_stamps_records_with_the_broker_clock()
    {
        using (var admin = KafkaClients.Admin(fixture.BootstrapServers))
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = "append-time",
                NumPartitions = 1,
                Configs = new Dictionary<string, string> { ["message.timestamp.type"] = "LogAppendTime" },
            }]);
        }

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        using (var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(fixture.BootstrapServers)))
        {
            var delivered = await producer.ProduceAsync("append-time", new Message<byte[], byte[]>
            {
                Value = "stamped"u8.ToArray(),
                Timestamp = new Timestamp(1_000, TimestampType.CreateTime), // 1970: replaced by the broker
            });
            Assert.Equal(TimestampType.LogAppendTime, delivered.Timestamp.Type);
        }

        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        var record = Assert.Single(await ConsumeAsync(KafkaClients.ConsumerConfig(fixture.BootstrapServers), "append-time", 1));
        Assert.Equal(TimestampType.LogAppendTime, record.Message.Timestamp.Type);
        Assert.InRange(record.Message.Timestamp.UnixTimestampMs, before - 1_000, after + 1_000);
    }

    [Theory]
    [InlineData("zstd", CompressionType.None)]
    [InlineData("gzip", CompressionType.Lz4)]
    [InlineData("uncompressed", CompressionType.Snappy)]
    public async Task A_topic_compression_type_recompresses_and_records_still_round_trip(string topicCodec, CompressionType producerCodec)
    {
        var topic = $"recompress-{topicCodec}";
        using (var admin = KafkaClients.Admin(fixture.BootstrapServers))
        {
            await admin.CreateTopicsAsync([new TopicSpecification
            {
                Name = topic,
                NumPartitions = 1,
                Configs = new Dictionary<string, string> { ["compression.type"] = topicCodec },
            }]);
        }

        var sent = GeneratedRecords.Make(2_000, seed: 11);
        var config = KafkaClients.ProducerConfig(fixture.BootstrapServers);
        config.CompressionType = producerCodec;
        using (var producer = KafkaClients.Producer(config))
        {
            foreach (var message in sent) producer.Produce(topic, message);
            Assert.Equal(0, await Task.Run(() => producer.Flush(KafkaClients.Patience)));
        }

        var consumed = await ConsumeAsync(KafkaClients.ConsumerConfig(fixture.BootstrapServers), topic, sent.Count);
        for (var n = 0; n < sent.Count; n++)
        {
            GeneratedRecords.AssertSame(sent[n], consumed[n], expectedOffset: n);
        }
    }

    private static Task<List<ConsumeResult<byte[], byte[]>>> ConsumeAsync(ConsumerConfig config, string topic, int count) => Task.Run(() =>
    {
        using var consumer = KafkaClients.Consumer(config);
        consumer.Assign(new TopicPartitionOffset(topic, 0, Offset.Beginning));
        var records = new List<ConsumeResult<byte[], byte[]>>();
        var deadline = DateTime.UtcNow + KafkaClients.Patience;
        while (records.Count < count)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"consumed {records.Count} of {count}");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is not null && !result.IsPartitionEOF) records.Add(result);
        }

        return records;
    });
}
