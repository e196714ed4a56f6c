using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

// Inside the namespace: Orleans.ErrorCode would otherwise win over a compilation-unit alias.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>Errors, offsets and long polls as librdkafka (Confluent.Kafka) sees them.</summary>
[Collection(PartitionGatewayCollection.Name)]
public sealed class PartitionClientApiTests(PartitionGatewayFixture fixture)
{
    [Fact]
    public async Task A_record_above_max_message_bytes_fails_with_MSG_SIZE_TOO_LARGE()
    {
        var topic = await fixture.CreateTopicAsync("toolarge", configs: new Dictionary<string, string?> { ["max.message.bytes"] = "1000" });
        using var producer = fixture.Producer(c => c.MessageSendMaxRetries = 0);

        var error = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = new string('x', 5000) }));
        var fits = await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = "small" });

        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        Assert.Equal(0, fits.Offset.Value);
    }

    [Fact]
    public async Task A_waiting_consumer_receives_a_record_produced_while_its_fetch_is_parked()
    {
        var topic = await fixture.CreateTopicAsync("parked");
        using var consumer = fixture.Consumer(c => c.FetchWaitMaxMs = 5000);
        consumer.Assign(new TopicPartitionOffset(topic.Name, 0, Offset.Beginning));
        var partitionGrain = fixture.Grains.GetGrain<Orleans.Kafka.Partitions.IPartitionGrain>(Orleans.Kafka.Partitions.PartitionKey.Format(topic.Name, 0));

        var consumed = Task.Run(() => consumer.Consume(TimeSpan.FromSeconds(30)));
        var deadline = DateTime.UtcNow + PartitionTestHelpers.Deadline;
        while (await partitionGrain.GetWaiterCount() == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var parked = await partitionGrain.GetWaiterCount();
        using var producer = fixture.Producer();
        await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = "hello" });
        var result = await consumed;

        Assert.True(parked > 0, "the consumer's fetch never parked in the partition");
        Assert.Equal("hello", result?.Message.Value);
    }

    [Fact]
    public async Task Watermarks_offsets_for_times_and_DeleteRecords_work_through_the_clients()
    {
        var topic = await fixture.CreateTopicAsync("offsets");
        using var producer = fixture.Producer();
        var baseTime = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 10000;
        for (var i = 0; i < 5; i++)
        {
            await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"v{i}", Timestamp = new Timestamp(baseTime + i * 1000, TimestampType.CreateTime) });
        }

        using var consumer = fixture.Consumer();
        var watermarks = consumer.QueryWatermarkOffsets(new TopicPartition(topic.Name, 0), TimeSpan.FromSeconds(20));
        var byTime = consumer.OffsetsForTimes([new TopicPartitionTimestamp(topic.Name, 0, new Timestamp(baseTime + 2500, TimestampType.CreateTime))], TimeSpan.FromSeconds(20));

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = fixture.BootstrapServers }).Build();
        var deleted = await admin.DeleteRecordsAsync([new TopicPartitionOffset(topic.Name, 0, 3)]);
        var after = consumer.QueryWatermarkOffsets(new TopicPartition(topic.Name, 0), TimeSpan.FromSeconds(20));

        Assert.Equal((0L, 5L), (watermarks.Low.Value, watermarks.High.Value));
        Assert.Equal(3, Assert.Single(byTime).Offset.Value);
        Assert.Equal(3, Assert.Single(deleted).Offset.Value);
        Assert.Equal((3L, 5L), (after.Low.Value, after.High.Value));
    }

    [Fact]
    public async Task An_idempotent_producer_writes_each_record_once_in_order()
    {
        var topic = await fixture.CreateTopicAsync("idempotent");
        using var producer = fixture.Producer(c => { c.EnableIdempotence = true; c.LingerMs = 2; });

        var reports = await Task.WhenAll(Enumerable.Range(0, 100).Select(i =>
            producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"v{i}" })));

        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        using var consumer = fixture.Consumer();
        var received = consumer.ConsumeFrom(topic.Name, 0, 0, 100);
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"v{i}"), received.Select(r => r.Message.Value));
    }
}
