using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>Metadata over the wire, against the real topic grains.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MetadataTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Metadata_lists_this_gateway_as_broker_and_controller_with_the_bound_port()
    {
        var response = await RequestAsync(new MetadataRequest { Topics = [] }, 12);

        var broker = Assert.Single(response.Brokers);
        Assert.Equal(GatewayFixture.NodeId, broker.NodeId);
        Assert.Equal("127.0.0.1", broker.Host);
        Assert.Equal(fixture.Port, broker.Port);
        Assert.Equal(GatewayFixture.NodeId, response.ControllerId);
        Assert.Equal(GatewayFixture.ClusterId, response.ClusterId);
        Assert.Empty(response.Topics);
    }

    [Fact]
    public async Task Metadata_auto_creates_a_requested_topic_with_the_broker_defaults()
    {
        var response = await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-auto" }], AllowAutoTopicCreation = true }, 9);

        var topic = Assert.Single(response.Topics);
        Assert.Equal(0, topic.ErrorCode);
        Assert.Equal("md-auto", topic.Name);
        var partition = Assert.Single(topic.Partitions);
        Assert.Equal(GatewayFixture.NodeId, partition.LeaderId);
        Assert.Equal([GatewayFixture.NodeId], partition.ReplicaNodes);
        Assert.Equal(AuthorizedOpsNotRequested, topic.TopicAuthorizedOperations);
    }

    [Fact]
    public async Task Metadata_without_auto_creation_reports_an_unknown_topic()
    {
        var response = await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-missing" }], AllowAutoTopicCreation = false }, 12);

        var topic = Assert.Single(response.Topics);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, topic.ErrorCode);
        Assert.Empty(topic.Partitions);
    }

    [Fact]
    public async Task Metadata_reports_an_illegal_topic_name_as_INVALID_TOPIC_EXCEPTION()
    {
        var response = await RequestAsync(new MetadataRequest { Topics = [new() { Name = "no spaces" }], AllowAutoTopicCreation = true }, 4);

        Assert.Equal((short)KafkaErrorCode.InvalidTopicException, Assert.Single(response.Topics).ErrorCode);
    }

    [Fact]
    public async Task Metadata_v12_finds_topics_by_id_and_reports_unknown_ids()
    {
        var created = await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-by-id" }], AllowAutoTopicCreation = true }, 12);
        var topicId = Assert.Single(created.Topics).TopicId;
        Assert.NotEqual(Guid.Empty, topicId);
        var unknownId = Guid.NewGuid();

        var response = await RequestAsync(new MetadataRequest { Topics = [new() { Name = null, TopicId = topicId }, new() { Name = null, TopicId = unknownId }] }, 12);

        Assert.Equal(2, response.Topics.Count);
        Assert.Equal("md-by-id", response.Topics[0].Name);
        Assert.Equal(0, response.Topics[0].ErrorCode);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicId, response.Topics[1].ErrorCode);
        Assert.Equal(unknownId, response.Topics[1].TopicId);
    }

    [Fact]
    public async Task Metadata_reports_authorized_operations_when_asked()
    {
        await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-ops" }] }, 8);

        var response = await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-ops" }], IncludeTopicAuthorizedOperations = true, IncludeClusterAuthorizedOperations = true }, 8);

        // READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS as bits of their AclOperation codes.
        Assert.Equal(0b1101_1111_1000, Assert.Single(response.Topics).TopicAuthorizedOperations);
        Assert.Equal(0b1_1111_1010_0000, response.ClusterAuthorizedOperations);
    }

    [Fact]
    public async Task Metadata_v0_with_an_empty_list_and_v1_with_null_list_every_topic()
    {
        await RequestAsync(new MetadataRequest { Topics = [new() { Name = "md-all" }] }, 1);

        var v0 = await RequestAsync(new MetadataRequest { Topics = [] }, 0);
        var v1 = await RequestAsync(new MetadataRequest { Topics = null }, 1);

        Assert.Contains(v0.Topics, t => t.Name == "md-all");
        Assert.Contains(v1.Topics, t => t.Name == "md-all");
    }

    private const int AuthorizedOpsNotRequested = int.MinValue;

    private async Task<MetadataResponse> RequestAsync(MetadataRequest request, short version)
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 1);
        var headerVersion = version >= 9 ? (short)1 : (short)0;
        return (await client.ReceiveAsync<MetadataResponse>(version, headerVersion)).Response;
    }
}
