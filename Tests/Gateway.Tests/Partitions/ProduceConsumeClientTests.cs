using Confluent.Kafka;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>Produce and Fetch through librdkafka (Confluent.Kafka) against the gateway and real partition grains.</summary>
[Collection(PartitionGatewayCollection.Name)]
public sealed class ProduceConsumeClientTests(PartitionGatewayFixture fixture)
{
    [Theory]
    [InlineData(CompressionType.None)]
    [InlineData(CompressionType.Gzip)]
    [InlineData(CompressionType.Snappy)]
    [InlineData(CompressionType.Lz4)]
    [InlineData(CompressionType.Zstd)]
    public async Task Records_produced_with_each_codec_are_consumed_intact(CompressionType codec)
    {
        var topic = await fixture.CreateTopicAsync("codec");
        using var producer = fixture.Producer(c => { c.CompressionType = codec; c.LingerMs = 5; });
        var sent = Enumerable.Range(0, 50).Select(i => new Message<string, string>
        {
            Key = $"k{i}",
            Value = new string((char)('a' + (i % 26)), 100 + i),
            Headers = [new Header("h", [(byte)i])],
        }).ToList();
        var deliveries = sent.Select(m => producer.ProduceAsync(topic.Name, m)).ToList();
        var reports = await Task.WhenAll(deliveries);
        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), reports.Select(r => r.Offset.Value).Order());

        using var consumer = fixture.Consumer();
        var received = consumer.ConsumeFrom(topic.Name, 0, 0, sent.Count);
        Assert.Equal(sent.Count, received.Count);
        for (var i = 0; i < sent.Count; i++)
        {
            Assert.Equal(i, received[i].Offset.Value);
            Assert.Equal(sent[i].Key, received[i].Message.Key);
            Assert.Equal(sent[i].Value, received[i].Message.Value);
            Assert.Equal([(byte)i], received[i].Message.Headers.GetLastBytes("h"));
        }
    }

    [Theory]
    [InlineData(Acks.None)]
    [InlineData(Acks.Leader)]
    [InlineData(Acks.All)]
    public async Task Every_acks_setting_stores_the_records(Acks acks)
    {
        var topic = await fixture.CreateTopicAsync("acks");
        using var producer = fixture.Producer(c => c.Acks = acks);
        for (var i = 0; i < 10; i++)
        {
            var report = await producer.ProduceAsync(topic.Name, new Message<string, string> { Key = "k", Value = $"v{i}" });
            Assert.Equal(acks == Acks.None ? PersistenceStatus.PossiblyPersisted : PersistenceStatus.Persisted, report.Status);
        }

        using var consumer = fixture.Consumer();
        var received = consumer.ConsumeFrom(topic.Name, 0, 0, 10);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"v{i}"), received.Select(r => r.Message.Value));
    }

    [Theory]
    [InlineData("uncompressed", CompressionType.Zstd, Storage.Compression.CompressionType.None)]
    [InlineData("gzip", CompressionType.Snappy, Storage.Compression.CompressionType.Gzip)]
    [InlineData("lz4", CompressionType.None, Storage.Compression.CompressionType.Lz4)]
    public async Task A_topic_compression_type_is_how_batches_are_stored_and_consumers_still_read_them(string topicCodec, CompressionType producerCodec, Storage.Compression.CompressionType stored)
    {
        var topic = await fixture.CreateTopicAsync("recompress", configs: new Dictionary<string, string?> { ["compression.type"] = topicCodec });
        using var producer = fixture.Producer(c => { c.CompressionType = producerCodec; c.LingerMs = 5; });
        var reports = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            producer.ProduceAsync(topic.Name, new Message<string, string> { Key = $"k{i}", Value = new string('z', 200) + i })));
        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));

        var fetched = await fixture.Grains.GetGrain<Orleans.Kafka.Partitions.IPartitionGrain>(Orleans.Kafka.Partitions.PartitionKey.Format(topic.Name, 0))
            .Fetch(new Orleans.Kafka.Partitions.FetchCommand(topic.TopicId, 0, 1 << 20, Orleans.Kafka.Partitions.FetchIsolation.ReadUncommitted));
        var batches = 0;
        foreach (var header in Storage.Records.RecordBatch.EnumerateHeaders(fetched.Records.Span))
        {
            Assert.Equal(stored, header.Compression);
            batches++;
        }

        Assert.True(batches > 0);

        using var consumer = fixture.Consumer();
        var received = consumer.ConsumeFrom(topic.Name, 0, 0, 20);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => new string('z', 200) + i), received.Select(r => r.Message.Value));
    }
}
