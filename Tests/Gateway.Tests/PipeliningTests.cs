using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>A connection's requests run concurrently; responses go out in request order (Kafka's per-connection rule).</summary>
[Collection(GatewayCollection.Name)]
public sealed class PipeliningTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Pipelined_requests_are_answered_in_request_order_when_handlers_finish_out_of_order()
    {
        const int count = 60;
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        // Earlier requests wait longest, so handlers complete roughly in reverse order.
        var frames = Enumerable.Range(0, count)
            .SelectMany(i => KafkaWireClient.Frame(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = (count - i) * 3 }, 1, correlationId: 1000 + i))
            .ToArray();
        var started = TimeProvider.System.GetTimestamp();
        await client.SendRawAsync(frames);

        for (var i = 0; i < count; i++)
        {
            var (correlationId, response) = await client.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0);
            Assert.Equal(1000 + i, correlationId);
            Assert.Equal((count - i) * 3, response.ExpiryTimestampMs);
        }

        // Concurrent, not one after another: all delays together would take count*(count+1)/2*3 ms (5.5 s).
        Assert.True(TimeProvider.System.GetElapsedTime(started) < TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task More_requests_than_the_in_flight_bound_are_all_answered_in_order()
    {
        const int count = 350;
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        var frames = Enumerable.Range(0, count)
            .SelectMany(i => KafkaWireClient.Frame(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = i % 7 }, 2, correlationId: i))
            .ToArray();
        var sending = client.SendRawAsync(frames);

        for (var i = 0; i < count; i++)
        {
            var (correlationId, _) = await client.ReceiveAsync<ExpireDelegationTokenResponse>(2, 1);
            Assert.Equal(i, correlationId);
        }

        await sending;
    }

    [Fact]
    public async Task A_request_without_a_response_keeps_its_place_and_sends_nothing()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = DelayedEchoHandler.NoResponse }, 1, correlationId: 1);
        await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = 5 }, 1, correlationId: 2);

        var (correlationId, _) = await client.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0);
        Assert.Equal(2, correlationId);
    }

    [Fact]
    public async Task A_handler_that_throws_closes_the_connection_after_the_earlier_responses()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = 20 }, 1, correlationId: 1);
        await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = -1 }, 1, correlationId: 2);
        await client.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = 0 }, 1, correlationId: 3);

        var (correlationId, _) = await client.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0);
        Assert.Equal(1, correlationId);
        Assert.True(await client.WaitForCloseAsync());

        await using var next = await KafkaWireClient.ConnectAsync(fixture.Port);
        await next.SendAsync(new ExpireDelegationTokenRequest { ExpiryTimePeriodMs = 0 }, 1, correlationId: 9);
        Assert.Equal(9, (await next.ReceiveAsync<ExpireDelegationTokenResponse>(1, 0)).CorrelationId);
    }
}
