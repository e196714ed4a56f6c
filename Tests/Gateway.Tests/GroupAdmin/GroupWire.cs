using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>One request, one decoded response, over a fresh connection to the fixture's gateway.</summary>
internal static class GroupWire
{
    public static async Task<TResponse> RequestAsync<TResponse>(GatewayFixture fixture, Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 21);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(21, correlationId);
        return response;
    }
}
