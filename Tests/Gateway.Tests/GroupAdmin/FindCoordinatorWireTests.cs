using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>FindCoordinator v0-v6 on the wire: single keys (v0-v3), batches (v4+), and each key type.</summary>
[Collection(GatewayCollection.Name)]
public sealed class FindCoordinatorWireTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task A_group_key_names_this_gateway_in_the_top_level_fields(short version)
    {
        var response = await GroupWire.RequestAsync<FindCoordinatorResponse>(fixture, new FindCoordinatorRequest { Key = "wire-group", KeyType = 0 }, version);

        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(GatewayFixture.NodeId, response.NodeId);
        Assert.Equal("127.0.0.1", response.Host);
        Assert.Equal(fixture.Port, response.Port);
        if (version >= 1)
        {
            Assert.Equal("NONE", response.ErrorMessage);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public async Task A_batch_of_group_keys_gets_one_coordinator_per_key_in_order(short version)
    {
        var request = new FindCoordinatorRequest { KeyType = 0, CoordinatorKeys = ["g-a", "g-b", ""] };

        var response = await GroupWire.RequestAsync<FindCoordinatorResponse>(fixture, request, version);

        Assert.Equal(["g-a", "g-b", ""], response.Coordinators.Select(c => c.Key));
        Assert.All(response.Coordinators, c =>
        {
            Assert.Equal(0, c.ErrorCode);
            Assert.Equal(GatewayFixture.NodeId, c.NodeId);
            Assert.Equal("127.0.0.1", c.Host);
            Assert.Equal(fixture.Port, c.Port);
        });
    }

    [Fact]
    public async Task A_transaction_key_gets_COORDINATOR_NOT_AVAILABLE_with_no_node()
    {
        var response = await GroupWire.RequestAsync<FindCoordinatorResponse>(fixture, new FindCoordinatorRequest { Key = "txn-1", KeyType = 1 }, 3);

        Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, response.ErrorCode);
        Assert.Equal(-1, response.NodeId);
        Assert.Equal(string.Empty, response.Host);
        Assert.Equal(-1, response.Port);
        Assert.NotNull(response.ErrorMessage);
    }

    [Fact]
    public async Task Batched_transaction_keys_each_get_COORDINATOR_NOT_AVAILABLE()
    {
        var request = new FindCoordinatorRequest { KeyType = 1, CoordinatorKeys = ["txn-a", "txn-b"] };

        var response = await GroupWire.RequestAsync<FindCoordinatorResponse>(fixture, request, 4);

        Assert.Equal(2, response.Coordinators.Count);
        Assert.All(response.Coordinators, c =>
        {
            Assert.Equal((short)KafkaErrorCode.CoordinatorNotAvailable, c.ErrorCode);
            Assert.Equal(-1, c.NodeId);
            Assert.Equal(-1, c.Port);
        });
    }

    [Theory]
    [InlineData(2, 3)]
    [InlineData(7, 3)]
    [InlineData(2, 6)]
    [InlineData(-1, 6)]
    public async Task Share_and_unknown_key_types_get_INVALID_REQUEST(sbyte keyType, short version)
    {
        var request = version >= 4
            ? new FindCoordinatorRequest { Key = string.Empty, KeyType = keyType, CoordinatorKeys = ["k"] }
            : new FindCoordinatorRequest { Key = "k", KeyType = keyType };

        var response = await GroupWire.RequestAsync<FindCoordinatorResponse>(fixture, request, version);

        var error = version >= 4 ? Assert.Single(response.Coordinators).ErrorCode : response.ErrorCode;
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, error);
    }
}
