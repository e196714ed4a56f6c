using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>ApiVersions advertises exactly what the gateway serves and always answers with response header v0.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ApiVersionsTests(GatewayFixture fixture)
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task ApiVersions_lists_the_served_apis_with_response_header_v0(short version)
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        var request = new ApiVersionsRequest { ClientSoftwareName = "gateway-tests", ClientSoftwareVersion = "1.0.0" };
        await client.SendAsync(request, version, correlationId: 42);

        // Decoding with header v0 consumes the frame exactly only if the server wrote header v0 (no tagged fields).
        var (correlationId, response) = await client.ReceiveAsync<ApiVersionsResponse>(version, headerVersion: 0);

        Assert.Equal(42, correlationId);
        Assert.Equal(0, response.ErrorCode);
        var served = response.ApiKeys.ToDictionary(k => (ApiKey)k.ApiKey, k => (k.MinVersion, k.MaxVersion));
        Assert.Equal(((short)0, (short)4), served[ApiKey.ApiVersions]);
        Assert.Equal(((short)0, (short)12), served[ApiKey.Metadata]);
        Assert.Equal(((short)0, (short)7), served[ApiKey.CreateTopics]);
        Assert.Equal(((short)0, (short)6), served[ApiKey.DeleteTopics]);
        Assert.Equal(((short)0, (short)3), served[ApiKey.CreatePartitions]);
        Assert.Equal(((short)0, (short)4), served[ApiKey.DescribeConfigs]);
        Assert.Equal(((short)0, (short)2), served[ApiKey.AlterConfigs]);
        Assert.Equal(((short)0, (short)1), served[ApiKey.IncrementalAlterConfigs]);
        Assert.Equal(((short)0, (short)1), served[ApiKey.DescribeCluster]);
        Assert.Equal(((short)0, (short)2), served[ApiKey.ExpireDelegationToken]);
        Assert.DoesNotContain(ApiKey.DescribeDelegationToken, served.Keys);
        Assert.Equal(served.Keys.Order(), served.Keys);
    }

    [Theory]
    [InlineData("bad name", "1.0")]
    [InlineData("client", "1.0-")]
    [InlineData("", "1.0")]
    public async Task ApiVersions_v3_with_an_invalid_client_software_name_or_version_gets_INVALID_REQUEST(string name, string softwareVersion)
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new ApiVersionsRequest { ClientSoftwareName = name, ClientSoftwareVersion = softwareVersion }, 3, correlationId: 1);

        var (_, response) = await client.ReceiveAsync<ApiVersionsResponse>(3, 0);

        Assert.Equal((short)KafkaErrorCode.InvalidRequest, response.ErrorCode);
        Assert.Empty(response.ApiKeys);
    }

    [Fact]
    public async Task Flexible_requests_of_other_apis_get_response_header_v1()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new DescribeClusterRequest(), 0, correlationId: 8);

        var (correlationId, response) = await client.ReceiveAsync<DescribeClusterResponse>(0, headerVersion: 1);

        Assert.Equal(8, correlationId);
        Assert.Equal(GatewayFixture.ClusterId, response.ClusterId);
    }
}
