using System.Text.Json;
using Confluent.Kafka;
using Orleans.Kafka.Gateway.Tests.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>InitProducerId for idempotent producers, on the raw wire and through librdkafka.</summary>
[Collection(GatewayCollection.Name)]
public sealed class InitProducerIdTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Idempotent_producer_gets_a_new_producer_id_with_epoch_zero(short version)
    {
        var first = await InitAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, version);
        var second = await InitAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, version);

        Assert.Equal((short)KafkaErrorCode.None, first.ErrorCode);
        Assert.Equal((short)KafkaErrorCode.None, second.ErrorCode);
        Assert.True(first.ProducerId >= 0);
        Assert.NotEqual(first.ProducerId, second.ProducerId);
        Assert.Equal(0, first.ProducerEpoch);
        Assert.Equal(0, second.ProducerEpoch);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Idempotent_producer_resuming_with_its_id_and_epoch_gets_a_new_id_as_Kafka_does(short version)
    {
        var initial = await InitAsync(new InitProducerIdRequest { TransactionalId = null }, version);

        var resumed = await InitAsync(
            new InitProducerIdRequest { TransactionalId = null, ProducerId = initial.ProducerId, ProducerEpoch = initial.ProducerEpoch },
            version);

        Assert.Equal((short)KafkaErrorCode.None, resumed.ErrorCode);
        Assert.NotEqual(initial.ProducerId, resumed.ProducerId);
        Assert.Equal(0, resumed.ProducerEpoch);
    }

    [Fact]
    public async Task Concurrent_requests_get_distinct_producer_ids()
    {
        var responses = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => InitAsync(new InitProducerIdRequest { TransactionalId = null }, 4)));
        Assert.All(responses, r => Assert.Equal((short)KafkaErrorCode.None, r.ErrorCode));
        Assert.Equal(responses.Length, responses.Select(r => r.ProducerId).Distinct().Count());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(5)]
    public async Task Transactional_id_gets_COORDINATOR_NOT_AVAILABLE_until_transactions_exist(short version)
    {
        var response = await InitAsync(new InitProducerIdRequest { TransactionalId = "orders-tx", TransactionTimeoutMs = 60000 }, version);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, response.ErrorCode);
        Assert.Equal(-1, response.ProducerId);
        Assert.Equal(-1, response.ProducerEpoch);
    }

    [Fact]
    public async Task Empty_transactional_id_is_an_invalid_request()
    {
        var response = await InitAsync(new InitProducerIdRequest { TransactionalId = "", TransactionTimeoutMs = 60000 }, 4);

        Assert.Equal((short)KafkaErrorCode.InvalidRequest, response.ErrorCode);
        Assert.Equal(-1, response.ProducerId);
    }

    [Fact]
    public async Task ApiVersions_advertises_InitProducerId_v0_to_v5()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new ApiVersionsRequest { ClientSoftwareName = "gateway-tests", ClientSoftwareVersion = "1.0.0" }, 3, correlationId: 1);
        var (_, response) = await client.ReceiveAsync<ApiVersionsResponse>(3, headerVersion: 0);

        var entry = Assert.Single(response.ApiKeys, k => k.ApiKey == (short)ApiKey.InitProducerId);
        Assert.Equal((0, 5), (entry.MinVersion, entry.MaxVersion));
    }

    [Fact]
    public async Task Confluent_idempotent_producer_is_assigned_a_producer_id_at_start()
    {
        // librdkafka requests a producer id as soon as an idempotent producer starts; its
        // statistics report the id and the idempotence state once the broker answered.
        var assigned = new TaskCompletionSource<(long ProducerId, int Epoch)>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig
        {
            BootstrapServers = fixture.BootstrapServers,
            EnableIdempotence = true,
            StatisticsIntervalMs = 100,
        })
            .SetStatisticsHandler((_, json) =>
            {
                using var stats = JsonDocument.Parse(json);
                if (stats.RootElement.TryGetProperty("eos", out var eos)
                    && eos.GetProperty("idemp_state").GetString() == "Assigned")
                {
                    assigned.TrySetResult((eos.GetProperty("producer_id").GetInt64(), eos.GetProperty("producer_epoch").GetInt32()));
                }
            })
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    assigned.TrySetException(new InvalidOperationException($"librdkafka fatal error: {error.Code} {error.Reason}"));
                }
            })
            .Build();

        var (producerId, epoch) = await assigned.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.True(producerId >= 0);
        Assert.Equal(0, epoch);
    }

    private async Task<InitProducerIdResponse> InitAsync(InitProducerIdRequest request, short version)
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 7);
        var (correlationId, response) = await client.ReceiveAsync<InitProducerIdResponse>(version, headerVersion: (short)(version >= InitProducerIdRequest.FirstFlexibleVersion ? 1 : 0));
        Assert.Equal(7, correlationId);
        return response;
    }
}

/// <summary>
/// Idempotent produce end to end (gateway, partition grain, producer state): Kafka's answers to
/// retries, gaps, fenced epochs and unknown producers on the raw wire, and a librdkafka
/// idempotent producer's round trip.
/// </summary>
[Collection(PartitionGatewayCollection.Name)]
public sealed class IdempotentProduceTests(PartitionGatewayFixture fixture)
{
    private const short ProduceVersion = 9;

    [Fact]
    public async Task Retried_batch_gets_its_original_offset_and_is_stored_once()
    {
        var topic = (await fixture.CreateTopicAsync("idem-dup")).Name;
        var pid = await NewProducerIdAsync();
        var first = Batch(pid, 0, 0, 3);
        Assert.Equal((KafkaErrorCode.None, 0L), await ProduceAsync(topic, first));
        Assert.Equal((KafkaErrorCode.None, 3L), await ProduceAsync(topic, Batch(pid, 0, 3, 2)));

        Assert.Equal((KafkaErrorCode.None, 0L), await ProduceAsync(topic, first));
        Assert.Equal((KafkaErrorCode.None, 5L), await ProduceAsync(topic, Batch(pid, 0, 5, 1)));
    }

    [Fact]
    public async Task Sequence_gap_epoch_and_unknown_producer_get_Kafka_errors()
    {
        var topic = (await fixture.CreateTopicAsync("idem-errors")).Name;
        var pid = await NewProducerIdAsync();
        Assert.Equal(KafkaErrorCode.None, (await ProduceAsync(topic, Batch(pid, 1, 0, 2))).Error);

        Assert.Equal(KafkaErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(topic, Batch(pid, 1, 3, 1))).Error);
        Assert.Equal(KafkaErrorCode.InvalidProducerEpoch, (await ProduceAsync(topic, Batch(pid, 0, 2, 1))).Error);
        var stranger = await NewProducerIdAsync();
        Assert.Equal(KafkaErrorCode.UnknownProducerId, (await ProduceAsync(topic, Batch(stranger, 0, 7, 1))).Error);
        Assert.Equal((KafkaErrorCode.None, 2L), await ProduceAsync(topic, Batch(pid, 1, 2, 1)));
    }

    [Fact]
    public async Task Producer_state_survives_the_partition_going_away_and_coming_back()
    {
        var topic = (await fixture.CreateTopicAsync("idem-restart")).Name;
        var pid = await NewProducerIdAsync();
        var second = Batch(pid, 0, 1, 1);
        await ProduceAsync(topic, Batch(pid, 0, 0, 1));
        Assert.Equal((KafkaErrorCode.None, 1L), await ProduceAsync(topic, second));

        // A config change makes the partition close its log (which snapshots the producer state at
        // the log end) and open it again (which loads that snapshot).
        await fixture.Grains.GetGrain<ITopicGrain>(topic).AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "86400001")], false);
        await fixture.Grains.GetGrain<IPartitionGrain>(PartitionKey.Format(topic, 0)).ReloadConfig();
        Assert.True(File.Exists(Path.Combine(fixture.LogDirs, $"{topic}-0", "00000000000000000002.snapshot")), "the partition log was not closed");

        Assert.Equal((KafkaErrorCode.None, 1L), await ProduceAsync(topic, second));
        Assert.Equal(KafkaErrorCode.OutOfOrderSequenceNumber, (await ProduceAsync(topic, Batch(pid, 0, 3, 1))).Error);
        Assert.Equal((KafkaErrorCode.None, 2L), await ProduceAsync(topic, Batch(pid, 0, 2, 1)));
    }

    [Fact]
    public async Task Confluent_idempotent_producer_round_trip_stores_every_message_once_in_order()
    {
        var topic = (await fixture.CreateTopicAsync("idem-client")).Name;
        using var producer = fixture.Producer(c =>
        {
            c.EnableIdempotence = true;
            c.LingerMs = 2;
            c.BatchNumMessages = 7;
        });
        var reports = await Task.WhenAll(Enumerable.Range(0, 300).Select(i =>
            producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = $"v{i}" })));

        Assert.All(reports, r => Assert.Equal(PersistenceStatus.Persisted, r.Status));
        using var consumer = fixture.Consumer();
        var received = consumer.ConsumeFrom(topic, 0, 0, 300);
        Assert.Equal(Enumerable.Range(0, 300).Select(i => $"v{i}"), received.Select(r => r.Message.Value));
        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), received.Select(r => r.Offset.Value));
    }

    private static byte[] Batch(long producerId, short epoch, int baseSequence, int count)
    {
        var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = baseSequence };
        for (var i = 0; i < count; i++)
        {
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "k"u8, "v"u8);
        }

        return builder.Build();
    }

    private async Task<long> NewProducerIdAsync()
    {
        var response = await RoundTripAsync<InitProducerIdResponse>(new InitProducerIdRequest { TransactionalId = null }, 4);
        Assert.Equal((short)KafkaErrorCode.None, response.ErrorCode);
        return response.ProducerId;
    }

    private async Task<(KafkaErrorCode Error, long BaseOffset)> ProduceAsync(string topic, byte[] batch)
    {
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 10000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = 0, Records = batch }] }],
        };
        var response = await RoundTripAsync<ProduceResponse>(request, ProduceVersion);
        var partition = Assert.Single(Assert.Single(response.Responses).PartitionResponses);
        return ((KafkaErrorCode)partition.ErrorCode, partition.BaseOffset);
    }

    private async Task<TResponse> RoundTripAsync<TResponse>(Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        Assert.True(ApiMessageTypes.TryGet((short)request.ApiKey, out var info));
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 3);
        var (_, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        return response;
    }
}
