using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Grains;
using Orleans.Kafka.Protocol;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>A group whose grain cannot activate (its state is unreadable) gets COORDINATOR_NOT_AVAILABLE; the connection and the other groups are unaffected.</summary>
public sealed class UnavailableGroupWireTests : IAsyncLifetime
{
    private const string Broken = "group-" + UnreadableGroupStorage.Marker;

    private InProcessTestCluster _cluster = null!;
    private WebApplication _gateway = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddKeyedSingleton<IGrainStorage>("kafka", (sp, _) => new UnreadableGroupStorage(sp.GetRequiredService<IGrainStorageSerializer>()));
            silo.AddKafkaGrains();
            silo.Services.Configure<BrokerOptions>(o => o.NodeId = GatewayFixture.NodeId);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        _gateway = await GatewayFixture.StartGatewayAsync(_cluster.Client);
        _port = GatewayFixture.BoundPort(_gateway);

        // The registry lists the group (as it would after the group's state became unreadable).
        await _cluster.Client.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).Register(Broken);
    }

    public async Task DisposeAsync()
    {
        await _gateway.StopAsync();
        await _gateway.DisposeAsync();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task DescribeGroups_answers_COORDINATOR_NOT_AVAILABLE_for_that_group_only()
    {
        var response = await RequestAsync<DescribeGroupsResponse>(new DescribeGroupsRequest { Groups = [Broken, ""] }, 5);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, response.Groups[0].ErrorCode);
        Assert.Equal(Broken, response.Groups[0].GroupId);
        Assert.Equal((0, "Dead"), (response.Groups[1].ErrorCode, response.Groups[1].GroupState));
    }

    [Fact]
    public async Task ListGroups_reports_COORDINATOR_NOT_AVAILABLE_and_leaves_the_group_out()
    {
        var response = await RequestAsync<ListGroupsResponse>(new ListGroupsRequest(), 4);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, response.ErrorCode);
        Assert.DoesNotContain(response.Groups, g => g.GroupId == Broken);
    }

    [Fact]
    public async Task DeleteGroups_answers_COORDINATOR_NOT_AVAILABLE_for_that_group_and_deletes_nothing_else()
    {
        var response = await RequestAsync<DeleteGroupsResponse>(new DeleteGroupsRequest { GroupsNames = [Broken, "group-never-existed"] }, 2);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, Assert.Single(response.Results, r => r.GroupId == Broken).ErrorCode);
        Assert.Equal((short)KafkaErrorCode.GroupIdNotFound, Assert.Single(response.Results, r => r.GroupId == "group-never-existed").ErrorCode);
    }

    private async Task<TResponse> RequestAsync<TResponse>(Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(_port);
        await client.SendAsync(request, version, correlationId: 31);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(31, correlationId);
        return response;
    }
}
