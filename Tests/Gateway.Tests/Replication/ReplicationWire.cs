using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>One request, one response over a fresh wire connection to the shared gateway, and topic creation for the replication tests.</summary>
internal static class ReplicationWire
{
    public static async Task<TResponse> RequestAsync<TResponse>(GatewayFixture fixture, Orleans.Kafka.Protocol.IRequest request, short version = 0)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 21);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(21, correlationId);
        return response;
    }

    /// <summary>Creates a replication factor 1 topic (the fixture has one silo) and returns its id.</summary>
    public static async Task<Guid> CreateTopicAsync(GatewayFixture fixture, string name, int partitions)
    {
        var created = await RequestAsync<CreateTopicsResponse>(
            fixture,
            new CreateTopicsRequest { Topics = [new() { Name = name, NumPartitions = partitions, ReplicationFactor = 1 }], timeoutMs = 10000 },
            7);
        var topic = Assert.Single(created.Topics);
        Assert.Equal(0, topic.ErrorCode);
        return topic.TopicId;
    }
}
