using System.Text.Json;
using Confluent.Kafka;
using Orleans.Kafka.Protocol;

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
