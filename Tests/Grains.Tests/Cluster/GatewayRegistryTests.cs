using Orleans.Kafka.Cluster;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>The gateway registry: registration, live silo ids, expiry (2 s in this fixture) and unregistration.</summary>
[Collection(SiloIdClusterCollection.Name)]
public sealed class GatewayRegistryTests(SiloIdClusterFixture fixture)
{
    private IGatewayRegistryGrain Registry => fixture.Grains.GetGrain<IGatewayRegistryGrain>(IGatewayRegistryGrain.Key);

    [Fact]
    public async Task Heartbeat_registers_the_gateway_and_reports_the_live_silo_ids()
    {
        var gateway = new GatewayRegistration(501, "10.0.0.1", 9092, 2);

        var view = await Registry.Heartbeat(gateway);

        Assert.Contains(gateway, view.Gateways);
        Assert.NotNull(view.LiveSiloIds);
        Assert.Subset(view.LiveSiloIds.ToHashSet(), new HashSet<int> { 1, 2 });
        await Registry.Unregister(501);
    }

    [Fact]
    public async Task A_gateway_that_stops_heartbeating_expires_within_seconds()
    {
        var gateway = new GatewayRegistration(502, "10.0.0.2", 9092, null);
        await Registry.Heartbeat(gateway);
        var registered = DateTime.UtcNow;

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while ((await Registry.GetView()).Gateways.Any(g => g.NodeId == 502))
        {
            await Task.Delay(100, deadline.Token);
        }

        // Expiry is 2 s here: gone after it, not before.
        Assert.InRange(DateTime.UtcNow - registered, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_heartbeating_gateway_stays_and_an_unregistered_one_leaves_at_once()
    {
        var gateway = new GatewayRegistration(503, "10.0.0.3", 9093, 1);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (DateTime.UtcNow < until)
        {
            Assert.Contains(gateway, (await Registry.Heartbeat(gateway)).Gateways);
            await Task.Delay(500);
        }

        await Registry.Unregister(503);
        Assert.DoesNotContain((await Registry.GetView()).Gateways, g => g.NodeId == 503);
    }
}
