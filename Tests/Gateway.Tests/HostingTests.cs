using Microsoft.Extensions.DependencyInjection;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>The gateway's life in its host: many clients at once, and a prompt, orderly stop.</summary>
[Collection(GatewayCollection.Name)]
public sealed class HostingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Many_connections_pipelining_at_once_each_get_their_own_responses_in_order()
    {
        const int connections = 16, perConnection = 40;

        async Task RunClientAsync(int client)
        {
            await using var wire = await KafkaWireClient.ConnectAsync(fixture.Port);
            var frames = Enumerable.Range(0, perConnection)
                .SelectMany(i => KafkaWireClient.Frame(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = (i * 7 + client) % 5 }, 1, correlationId: client * 1000 + i))
                .ToArray();
            await wire.SendRawAsync(frames);
            for (var i = 0; i < perConnection; i++)
            {
                var (correlationId, response) = await wire.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0);
                Assert.Equal(client * 1000 + i, correlationId);
                Assert.Equal((i * 7 + client) % 5, response.ExpiryTimestampMs);
            }
        }

        await Task.WhenAll(Enumerable.Range(0, connections).Select(RunClientAsync));
    }

    [Fact]
    public async Task Stopping_the_host_answers_accepted_requests_and_closes_open_connections_promptly()
    {
        var app = await GatewayFixture.StartGatewayAsync(fixture.Cluster.Client);
        try
        {
            await using var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(app));
            await client.SendAsync(new ApiVersionsRequest(), 0, correlationId: 1);
            Assert.Equal(1, (await client.ReceiveAsync<ApiVersionsResponse>(0, 0)).CorrelationId);
            await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = 200 }, 1, correlationId: 2);
            var handler = app.Services.GetServices<IKafkaApiHandler>().OfType<DelayedEchoHandler>().Single();
            await WaitUntilAsync(() => handler.Started == 1);

            var started = TimeProvider.System.GetTimestamp();
            var stopping = app.StopAsync();

            Assert.Equal(2, (await client.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0)).CorrelationId);
            Assert.True(await client.WaitForCloseAsync());
            await stopping;
            Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(10));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = TimeProvider.System.GetTimestamp() + (10 * TimeProvider.System.TimestampFrequency);
        while (!condition())
        {
            Assert.True(TimeProvider.System.GetTimestamp() < deadline, "The condition was not met within 10 s.");
            await Task.Delay(5);
        }
    }
}
