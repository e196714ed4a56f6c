using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>
/// A real client (librdkafka via Confluent.Kafka) against <see cref="ScriptedBroker"/>: every
/// request it sends decodes and re-encodes to its own bytes, and it accepts the responses we
/// encode (metadata, produce acknowledgements, fetched batches, a whole consumer-group join).
/// </summary>
public sealed class LibrdkafkaInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Librdkafka_metadata_requests_decode_and_our_responses_satisfy_it()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, BrokerAddressFamily = BrokerAddressFamily.V4 })
                .SetLogHandler((_, _) => { })
                .Build();
            var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(10))).WaitAsync(Deadline);

            var topic = Assert.Single(metadata.Topics);
            Assert.Equal(ScriptedBroker.Topic, topic.Topic);
            Assert.Equal(1, Assert.Single(topic.Partitions).Leader);
            var node = Assert.Single(metadata.Brokers);
            Assert.Equal((1, "127.0.0.1", broker.Port), (node.BrokerId, node.Host, node.Port));
        }

        AssertNoFailures(broker);
        var request = Assert.IsType<ApiVersionsRequest>(broker.Requests.First(r => r.Body is ApiVersionsRequest).Body);
        Assert.False(string.IsNullOrEmpty(request.ClientSoftwareName));
        Assert.Contains(broker.Requests, r => r.Body is MetadataRequest);
    }

    [Fact]
    public async Task Librdkafka_sasl_plain_handshake_and_authenticate_decode_and_our_responses_let_it_in()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            var config = new AdminClientConfig
            {
                BootstrapServers = broker.BootstrapServers,
                BrokerAddressFamily = BrokerAddressFamily.V4,
                SecurityProtocol = SecurityProtocol.SaslPlaintext,
                SaslMechanism = SaslMechanism.Plain,
                SaslUsername = "alice",
                SaslPassword = "secret",
            };
            using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
            var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(10))).WaitAsync(Deadline);
            Assert.Single(metadata.Topics);
        }

        AssertNoFailures(broker);
        LogVersions(broker);
        var handshake = Assert.IsType<SaslHandshakeRequest>(broker.Requests.First(r => r.Body is SaslHandshakeRequest).Body);
        Assert.Equal("PLAIN", handshake.Mechanism);
        var authenticate = Assert.IsType<SaslAuthenticateRequest>(broker.Requests.First(r => r.Body is SaslAuthenticateRequest).Body);
        Assert.Equal("\0alice\0secret"u8.ToArray(), authenticate.AuthBytes);
    }

    [Fact]
    public async Task Librdkafka_admin_requests_decode_and_our_admin_responses_satisfy_it()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = broker.BootstrapServers, BrokerAddressFamily = BrokerAddressFamily.V4 })
                .SetLogHandler((_, _) => { })
                .Build();
            var options = new CreateTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(10) };
            await admin.CreateTopicsAsync(
                [new TopicSpecification { Name = "payments", NumPartitions = 3, ReplicationFactor = 1, Configs = new() { ["cleanup.policy"] = "compact" } }],
                options).WaitAsync(Deadline);

            var configs = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "payments" }]).WaitAsync(Deadline);
            var entry = Assert.Single(configs).Entries["retention.ms"];
            Assert.Equal("604800000", entry.Value);
            Assert.True(entry.IsDefault);

            await admin.DeleteTopicsAsync(["payments"]).WaitAsync(Deadline);
        }

        AssertNoFailures(broker);
        LogVersions(broker);
        var create = Assert.IsType<CreateTopicsRequest>(broker.Requests.Single(r => r.Body is CreateTopicsRequest).Body);
        var topic = Assert.Single(create.Topics);
        Assert.Equal(("payments", 3, (short)1), (topic.Name, topic.NumPartitions, topic.ReplicationFactor));
        Assert.Equal(("cleanup.policy", "compact"), (Assert.Single(topic.Configs).Name, topic.Configs[0].Value));
        Assert.Contains(broker.Requests, r => r.Body is DeleteTopicsRequest);
    }

    [Fact]
    public async Task Librdkafka_produce_request_decodes_and_our_produce_response_acknowledges_it()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            using var producer = NewProducer<Null>(broker);
            var delivery = await producer.ProduceAsync(ScriptedBroker.Topic, new Message<Null, string> { Value = "hello" }).WaitAsync(Deadline);

            Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
            Assert.Equal(0, delivery.Partition.Value);
            Assert.Equal(ScriptedBroker.AssignedOffset, delivery.Offset.Value);
        }

        AssertNoFailures(broker);
        var produceRequest = broker.Requests.Single(r => r.Body is ProduceRequest);
        Assert.True(produceRequest.Header.RequestApiVersion >= 9, $"Produce v{produceRequest.Header.RequestApiVersion}");
        var produce = (ProduceRequest)produceRequest.Body;
        Assert.Equal(-1, produce.Acks);
        var topic = Assert.Single(produce.TopicData);
        Assert.Equal(ScriptedBroker.Topic, topic.Name);
        var batch = Assert.Single(topic.PartitionData).Records!.Value.Span;
        Assert.Equal(2, batch[16]); // record batch magic byte: v2
    }

    [Fact]
    public async Task Librdkafka_idempotent_producer_gets_its_producer_id_from_our_init_producer_id_response()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
            {
                BootstrapServers = broker.BootstrapServers,
                BrokerAddressFamily = BrokerAddressFamily.V4,
                EnableIdempotence = true,
                LingerMs = 0,
            }).SetLogHandler((_, _) => { }).Build();
            var delivery = await producer.ProduceAsync(ScriptedBroker.Topic, new Message<Null, string> { Value = "once" }).WaitAsync(Deadline);
            Assert.Equal(ScriptedBroker.AssignedOffset, delivery.Offset.Value);
        }

        AssertNoFailures(broker);
        var init = Assert.IsType<InitProducerIdRequest>(broker.Requests.Single(r => r.Body is InitProducerIdRequest).Body);
        Assert.Null(init.TransactionalId);
        var batch = ((ProduceRequest)broker.Requests.Single(r => r.Body is ProduceRequest).Body).TopicData[0].PartitionData[0].Records!.Value.Span;
        Assert.Equal(ScriptedBroker.ProducerId, System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(batch[43..])); // producerId in the batch header
    }

    [Fact]
    public async Task Librdkafka_consumer_reads_the_batch_it_produced_from_our_fetch_response()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            await ProduceOneAsync(broker);

            using var consumer = NewConsumer(broker);
            consumer.Assign(new TopicPartitionOffset(ScriptedBroker.Topic, 0, 0));
            var result = await ConsumeAsync(consumer);
            consumer.Close();

            Assert.Equal(("k", "hello"), (result.Message.Key, result.Message.Value));
            Assert.Equal(0, result.Offset.Value);
        }

        AssertNoFailures(broker);
        var fetch = broker.Requests.First(r => r.Body is FetchRequest);
        Assert.True(fetch.Header.RequestApiVersion >= 12, $"Fetch v{fetch.Header.RequestApiVersion}"); // flexible, tagged fields
        LogVersions(broker);
    }

    [Fact]
    public async Task Librdkafka_consumer_group_join_decodes_and_our_group_responses_assign_it_the_partition()
    {
        var broker = ScriptedBroker.Start(Deadline);
        await using (broker)
        {
            await ProduceOneAsync(broker);

            using var consumer = NewConsumer(broker);
            consumer.Subscribe(ScriptedBroker.Topic);
            var result = await ConsumeAsync(consumer);

            Assert.Equal(("k", "hello"), (result.Message.Key, result.Message.Value));
            Assert.Equal(new TopicPartition(ScriptedBroker.Topic, 0), Assert.Single(consumer.Assignment));
            consumer.Close();
        }

        AssertNoFailures(broker);
        LogVersions(broker);
        var subscription = Assert.Single(broker.ConsumerProtocolPayloads.OfType<ConsumerProtocolSubscription>());
        Assert.Equal([ScriptedBroker.Topic], subscription.Topics);
        var assignment = Assert.Single(broker.ConsumerProtocolPayloads.OfType<ConsumerProtocolAssignment>());
        var assigned = Assert.Single(assignment.AssignedPartitions);
        Assert.Equal((ScriptedBroker.Topic, 0), (assigned.Topic, Assert.Single(assigned.Partitions)));
        Assert.Contains(broker.Requests, r => r.Body is LeaveGroupRequest);
    }

    private static IProducer<TKey, string> NewProducer<TKey>(ScriptedBroker broker) =>
        new ProducerBuilder<TKey, string>(new ProducerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            EnableIdempotence = false,
            Acks = Acks.All,
            LingerMs = 0,
        }).SetLogHandler((_, _) => { }).Build();

    private static IConsumer<string, string> NewConsumer(ScriptedBroker broker) =>
        new ConsumerBuilder<string, string>(new ConsumerConfig
        {
            BootstrapServers = broker.BootstrapServers,
            BrokerAddressFamily = BrokerAddressFamily.V4,
            GroupId = "interop",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
        }).SetLogHandler((_, _) => { }).Build();

    /// <summary>The scripted broker keeps the batch librdkafka produces and serves it at offset 0.</summary>
    private static async Task ProduceOneAsync(ScriptedBroker broker)
    {
        using var producer = NewProducer<string>(broker);
        await producer.ProduceAsync(ScriptedBroker.Topic, new Message<string, string> { Key = "k", Value = "hello" }).WaitAsync(Deadline);
    }

    private static async Task<ConsumeResult<string, string>> ConsumeAsync(IConsumer<string, string> consumer)
    {
        using var timeout = new CancellationTokenSource(Deadline);
        return await Task.Run(() => consumer.Consume(timeout.Token)).WaitAsync(Deadline);
    }

    private static void AssertNoFailures(ScriptedBroker broker) =>
        Assert.True(broker.Failures.IsEmpty, string.Join("; ", broker.Failures));

    private void LogVersions(ScriptedBroker broker) =>
        output.WriteLine($"librdkafka {Library.VersionString} sent: " + string.Join(", ",
            broker.Requests.Select(r => $"{(ApiKey)r.Header.RequestApiKey} v{r.Header.RequestApiVersion}").Distinct()));
}
