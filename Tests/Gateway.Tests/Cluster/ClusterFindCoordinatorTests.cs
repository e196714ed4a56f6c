using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Cluster;

/// <summary>FindCoordinator across gateways: a group's coordinator is the gateway beside the silo its grain is active on.</summary>
[Collection(ClusterGatewayCollection.Name)]
public sealed class ClusterFindCoordinatorTests(ClusterGatewayFixture fixture)
{
    [Fact]
    public async Task FindCoordinator_names_the_gateway_beside_the_silo_hosting_the_group_grain()
    {
        await AwaitBothGatewaysKnownAsync();
        var groups = await GroupsOnSilos1And2Async();

        foreach (var gateway in new[] { fixture.First, fixture.Second })
        {
            var answering = gateway.Services.GetRequiredService<BrokerEndpoint>().NodeId;
            foreach (var (groupId, siloId) in groups)
            {
                var expected = Expected(siloId, answering);
                var single = await RequestAsync(gateway, new FindCoordinatorRequest { Key = groupId, KeyType = 0 }, 3);
                Assert.Equal(0, single.ErrorCode);
                Assert.Equal(expected.NodeId, single.NodeId);
                Assert.Equal("127.0.0.1", single.Host);
                Assert.Equal(expected.Port, single.Port);
            }

            var batch = await RequestAsync(gateway, new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = [.. groups.Select(g => g.GroupId)] }, 4);
            Assert.Equal(groups.Select(g => g.GroupId), batch.Coordinators.Select(c => c.Key));
            foreach (var ((_, siloId), coordinator) in groups.Zip(batch.Coordinators))
            {
                var expected = Expected(siloId, answering);
                Assert.Equal(0, coordinator.ErrorCode);
                Assert.Equal(expected.NodeId, coordinator.NodeId);
                Assert.Equal("127.0.0.1", coordinator.Host);
                Assert.Equal(expected.Port, coordinator.Port);
            }
        }
    }

    [Fact]
    public async Task Transaction_keys_stay_COORDINATOR_NOT_AVAILABLE_with_several_gateways()
    {
        await AwaitBothGatewaysKnownAsync();

        var response = await RequestAsync(fixture.Second, new FindCoordinatorRequest { KeyType = 1, CoordinatorKeys = ["txn-a"] }, 4);

        var coordinator = Assert.Single(response.Coordinators);
        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, coordinator.ErrorCode);
        Assert.Equal(-1, coordinator.NodeId);
    }

    /// <summary>The gateway beside the group's silo; silo 3 (and any other) has none, so the answering gateway.</summary>
    private (int NodeId, int Port) Expected(int? siloId, int answering)
    {
        var nodeId = siloId switch
        {
            1 => ClusterGatewayFixture.GatewayBesideSilo1,
            2 => ClusterGatewayFixture.GatewayBesideSilo2,
            _ => answering,
        };
        var gateway = nodeId == ClusterGatewayFixture.GatewayBesideSilo1 ? fixture.First : fixture.Second;
        return (nodeId, gateway.Services.GetRequiredService<BrokerEndpoint>().BoundEndPoint!.Port);
    }

    /// <summary>
    /// Activates fresh groups until at least one is on silo 1 and one on silo 2 (placement picks the silo), keeping
    /// every group seen so that ones on silo 3 check the fallback too.
    /// </summary>
    private async Task<List<(string GroupId, int? SiloId)>> GroupsOnSilos1And2Async()
    {
        var groups = new List<(string GroupId, int? SiloId)>();
        for (var i = 0; i < 100 && !(groups.Any(g => g.SiloId == 1) && groups.Any(g => g.SiloId == 2)); i++)
        {
            var groupId = $"located-{Guid.NewGuid():N}";
            groups.Add((groupId, await fixture.Grains.GetGrain<IConsumerGroupGrain>(groupId).GetHostSiloId()));
        }

        Assert.Contains(groups, g => g.SiloId == 1);
        Assert.Contains(groups, g => g.SiloId == 2);
        return groups;
    }

    private async Task AwaitBothGatewaysKnownAsync()
    {
        foreach (var gateway in new[] { fixture.First, fixture.Second })
        {
            await ClusterGatewayFixture.AwaitMetadataAsync(ClusterGatewayFixture.Address(gateway), m =>
                m.Brokers.Select(b => b.BrokerId).ToHashSet().IsSupersetOf([ClusterGatewayFixture.GatewayBesideSilo1, ClusterGatewayFixture.GatewayBesideSilo2]));
        }
    }

    private static async Task<FindCoordinatorResponse> RequestAsync(WebApplication gateway, FindCoordinatorRequest request, short version)
    {
        ApiMessageTypes.TryGet((short)ApiKey.FindCoordinator, out var info);
        var port = gateway.Services.GetRequiredService<BrokerEndpoint>().BoundEndPoint!.Port;
        await using var client = await KafkaWireClient.ConnectAsync(port);
        await client.SendAsync(request, version, correlationId: 7);
        var (correlationId, response) = await client.ReceiveAsync<FindCoordinatorResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(7, correlationId);
        return response;
    }
}
