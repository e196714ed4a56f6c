using System.Text;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

// Inside the namespace so it wins over Orleans.ErrorCode.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>ListOffsets and fetch positioning as librdkafka uses them: watermarks, offsetsForTimes, seek, offset reset.</summary>
public sealed class OffsetQueryTests(BrokerFixture fixture) : IClassFixture<BrokerFixture>
{
    private static readonly long BaseTimestamp = RecentTimestamps.Base;

    [Fact]
    public async Task Watermarks_are_zero_for_an_empty_partition_and_follow_appends()
    {
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, "watermarks", 2);
        using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(fixture.BootstrapServers));
        var p0 = new TopicPartition("watermarks", 0);
        var p1 = new TopicPartition("watermarks", 1);

        var empty = consumer.QueryWatermarkOffsets(p0, TimeSpan.FromSeconds(30));
        Assert.Equal((0L, 0L), (empty.Low.Value, empty.High.Value));

        await ProduceNumberedAsync(p0, 50);

        var after = consumer.QueryWatermarkOffsets(p0, TimeSpan.FromSeconds(30));
        Assert.Equal((0L, 50L), (after.Low.Value, after.High.Value));
        var other = consumer.QueryWatermarkOffsets(p1, TimeSpan.FromSeconds(30));
        Assert.Equal((0L, 0L), (other.Low.Value, other.High.Value));
    }

    [Fact]
    public async Task OffsetsForTimes_returns_the_first_offset_at_or_after_the_timestamp()
    {
        var tp = new TopicPartition("timestamps", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        // Timestamps one second apart, in several batches so the broker's time index has more than one entry to search.
        for (var batch = 0; batch < 10; batch++)
        {
            await ProduceNumberedAsync(tp, 100, first: batch * 100);
        }

        using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(fixture.BootstrapServers));
        long OffsetFor(long timestamp) =>
            consumer.OffsetsForTimes([new TopicPartitionTimestamp(tp, new Timestamp(timestamp, TimestampType.CreateTime))], TimeSpan.FromSeconds(30))
                .Single().Offset.Value;

        Assert.Equal(0, OffsetFor(BaseTimestamp - 60_000));
        Assert.Equal(0, OffsetFor(BaseTimestamp));
        Assert.Equal(1, OffsetFor(BaseTimestamp + 1));
        Assert.Equal(500, OffsetFor(BaseTimestamp + 500_000));
        Assert.Equal(500, OffsetFor(BaseTimestamp + 499_500));
        Assert.Equal(999, OffsetFor(BaseTimestamp + 999_000));
        // Nothing at or after the timestamp: Kafka answers offset -1, which librdkafka reports as "end".
        Assert.Equal(Offset.End.Value, OffsetFor(BaseTimestamp + 1_000_000));
    }

    [Fact]
    public async Task Seek_repositions_an_assigned_consumer_backwards_and_forwards()
    {
        var tp = new TopicPartition("seeking", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        await ProduceNumberedAsync(tp, 200);

        await Task.Run(() =>
        {
            using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(fixture.BootstrapServers));
            consumer.Assign(new TopicPartitionOffset(tp, 120));
            Assert.Equal(120, NextNumber(consumer));
            Assert.Equal(121, NextNumber(consumer));

            consumer.Seek(new TopicPartitionOffset(tp, 10));
            Assert.Equal(10, NextNumber(consumer));

            consumer.Seek(new TopicPartitionOffset(tp, 199));
            Assert.Equal(199, NextNumber(consumer));

            consumer.Seek(new TopicPartitionOffset(tp, Offset.Beginning));
            Assert.Equal(0, NextNumber(consumer));
        });
    }

    [Fact]
    public async Task Assigning_at_end_sees_only_records_produced_afterwards()
    {
        var tp = new TopicPartition("tail", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        await ProduceNumberedAsync(tp, 30);

        using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(fixture.BootstrapServers));
        consumer.Assign(new TopicPartitionOffset(tp, Offset.End));

        Assert.True(await FirstNumberWhileAppendingAsync(consumer, tp, next: 30) >= 30, "an assignment at the end must not see older records");
    }

    [Fact]
    public async Task An_out_of_range_offset_is_reset_to_earliest_with_auto_offset_reset_earliest()
    {
        var tp = new TopicPartition("reset-earliest", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        await ProduceNumberedAsync(tp, 40);

        using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(fixture.BootstrapServers));
        consumer.Assign(new TopicPartitionOffset(tp, 1_000));

        Assert.Equal(0, await Task.Run(() => NextNumber(consumer)));
    }

    [Fact]
    public async Task An_out_of_range_offset_is_reset_to_latest_with_auto_offset_reset_latest()
    {
        var tp = new TopicPartition("reset-latest", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        await ProduceNumberedAsync(tp, 40);

        var config = KafkaClients.ConsumerConfig(fixture.BootstrapServers);
        config.AutoOffsetReset = AutoOffsetReset.Latest;
        using var consumer = KafkaClients.Consumer(config);
        consumer.Assign(new TopicPartitionOffset(tp, 1_000));

        Assert.True(await FirstNumberWhileAppendingAsync(consumer, tp, next: 40) >= 40, "a reset to latest must not see older records");
    }

    [Fact]
    public async Task An_out_of_range_offset_with_reset_none_reports_the_error_to_the_application()
    {
        var tp = new TopicPartition("reset-error", 0);
        await KafkaClients.CreateTopicAsync(fixture.BootstrapServers, tp.Topic, 1);
        await ProduceNumberedAsync(tp, 5);

        var config = KafkaClients.ConsumerConfig(fixture.BootstrapServers);
        config.AutoOffsetReset = AutoOffsetReset.Error;
        using var consumer = KafkaClients.Consumer(config);
        consumer.Assign(new TopicPartitionOffset(tp, 1_000));

        var error = await Task.Run(() => Assert.Throws<ConsumeException>(() =>
        {
            var deadline = DateTime.UtcNow + KafkaClients.Patience;
            while (DateTime.UtcNow < deadline) consumer.Consume(TimeSpan.FromMilliseconds(200));
        }));
        Assert.Equal(ErrorCode.Local_AutoOffsetReset, error.Error.Code);
    }

    /// <summary>Produces records whose value is their number and whose timestamp is BaseTimestamp + number seconds.</summary>
    private async Task ProduceNumberedAsync(TopicPartition tp, int count, int first = 0)
    {
        using var producer = KafkaClients.Producer(KafkaClients.ProducerConfig(fixture.BootstrapServers));
        var deliveries = Enumerable.Range(first, count).Select(n => producer.ProduceAsync(tp, new Message<byte[], byte[]>
        {
            Key = Encoding.UTF8.GetBytes($"k{n}"),
            Value = Encoding.UTF8.GetBytes(n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            Timestamp = new Timestamp(BaseTimestamp + (n * 1000L), TimestampType.CreateTime),
        })).ToList();
        var results = await Task.WhenAll(deliveries);
        Assert.Equal(Enumerable.Range(first, count).Select(n => (long)n), results.Select(r => r.Offset.Value));
    }

    /// <summary>
    /// Appends one record at a time until the consumer sees one: when the consumer resolves "end" is not observable
    /// through the client, so the test does not guess; it only asserts which record came first.
    /// </summary>
    private async Task<int> FirstNumberWhileAppendingAsync(IConsumer<byte[], byte[]> consumer, TopicPartition tp, int next)
    {
        var deadline = DateTime.UtcNow + KafkaClients.Patience;
        while (DateTime.UtcNow < deadline)
        {
            await ProduceNumberedAsync(tp, 1, first: next++);
            var result = await Task.Run(() => consumer.Consume(TimeSpan.FromMilliseconds(500)));
            if (result is null || result.IsPartitionEOF) continue;
            var number = int.Parse(Encoding.UTF8.GetString(result.Message.Value), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(number, result.Offset.Value);
            return number;
        }

        throw new TimeoutException("no record arrived");
    }

    private static int NextNumber(IConsumer<byte[], byte[]> consumer)
    {
        var deadline = DateTime.UtcNow + KafkaClients.Patience;
        while (DateTime.UtcNow < deadline)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF) continue;
            var number = int.Parse(Encoding.UTF8.GetString(result.Message.Value), System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(number, result.Offset.Value);
            return number;
        }

        throw new TimeoutException("no record arrived");
    }
}
