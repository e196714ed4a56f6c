using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>Admin cases a real client cannot send (it validates or routes them itself), checked on the wire.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminWireTests(GatewayFixture fixture)
{
    [Fact]
    public async Task CreateTopics_with_a_name_given_twice_reports_INVALID_REQUEST_for_it_and_creates_the_rest()
    {
        var request = new CreateTopicsRequest
        {
            Topics =
            [
                new() { Name = "wire-dup", NumPartitions = 1, ReplicationFactor = 1 },
                new() { Name = "wire-dup", NumPartitions = 2, ReplicationFactor = 1 },
                new() { Name = "wire-single", NumPartitions = 2, ReplicationFactor = -1 },
            ],
            timeoutMs = 10000,
        };

        var response = await RequestAsync<CreateTopicsResponse>(request, 7);

        Assert.Equal(2, response.Topics.Count);
        var duplicate = Assert.Single(response.Topics, t => t.Name == "wire-dup");
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, duplicate.ErrorCode);
        Assert.NotNull(duplicate.ErrorMessage);
        var created = Assert.Single(response.Topics, t => t.Name == "wire-single");
        Assert.Equal(0, created.ErrorCode);
        Assert.Equal(2, created.NumPartitions);
        Assert.Equal(1, created.ReplicationFactor);
        Assert.NotEqual(Guid.Empty, created.TopicId);
        Assert.Contains(created.Configs!, c => c.Name == "cleanup.policy" && c.Value == "delete");
    }

    [Fact]
    public async Task CreateTopics_v0_reports_errors_without_messages()
    {
        var request = new CreateTopicsRequest { Topics = [new() { Name = "wire v0 bad", NumPartitions = 1, ReplicationFactor = 1 }], timeoutMs = 10000 };

        var response = await RequestAsync<CreateTopicsResponse>(request, 0);

        Assert.Equal((short)KafkaErrorCode.InvalidTopicException, Assert.Single(response.Topics).ErrorCode);
    }

    [Fact]
    public async Task DeleteTopics_v6_deletes_by_topic_id_and_reports_unknown_ids()
    {
        var created = await RequestAsync<CreateTopicsResponse>(
            new CreateTopicsRequest { Topics = [new() { Name = "wire-delete-id", NumPartitions = 1, ReplicationFactor = 1 }], timeoutMs = 10000 }, 7);
        var topicId = Assert.Single(created.Topics).TopicId;
        var unknownId = Guid.NewGuid();

        var response = await RequestAsync<DeleteTopicsResponse>(
            new DeleteTopicsRequest { Topics = [new() { Name = null, TopicId = topicId }, new() { Name = null, TopicId = unknownId }], TimeoutMs = 10000 }, 6);

        var deleted = Assert.Single(response.Responses, r => r.TopicId == topicId);
        Assert.Equal(0, deleted.ErrorCode);
        Assert.Equal("wire-delete-id", deleted.Name);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicId, Assert.Single(response.Responses, r => r.TopicId == unknownId).ErrorCode);
    }

    [Fact]
    public async Task DescribeConfigs_of_another_broker_id_or_an_unsupported_resource_type_reports_INVALID_REQUEST()
    {
        var request = new DescribeConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = 4, ResourceName = "7", ConfigurationKeys = null },
                new() { ResourceType = 99, ResourceName = "1", ConfigurationKeys = null },
                new() { ResourceType = 4, ResourceName = "1", ConfigurationKeys = ["num.partitions"] },
            ],
        };

        var response = await RequestAsync<DescribeConfigsResponse>(request, 4);

        Assert.Equal((short)KafkaErrorCode.InvalidRequest, response.Results[0].ErrorCode);
        Assert.Equal((short)KafkaErrorCode.InvalidRequest, response.Results[1].ErrorCode);
        Assert.Equal(0, response.Results[2].ErrorCode);
        var entry = Assert.Single(response.Results[2].Configs);
        Assert.Equal("num.partitions", entry.Name);
        Assert.Equal("1", entry.Value);
        Assert.Equal(5, entry.ConfigSource); // DEFAULT_CONFIG: left at Kafka's default
        Assert.Equal(3, entry.ConfigType); // INT
    }

    [Fact]
    public async Task DescribeConfigs_with_an_empty_key_list_describes_every_config()
    {
        var response = await RequestAsync<DescribeConfigsResponse>(
            new DescribeConfigsRequest { Resources = [new() { ResourceType = 4, ResourceName = "1", ConfigurationKeys = [] }] }, 1);

        Assert.Contains(Assert.Single(response.Results).Configs, c => c.Name == "socket.request.max.bytes");
    }

    [Fact]
    public async Task DescribeConfigs_v0_marks_defaults_with_is_default()
    {
        var response = await RequestAsync<DescribeConfigsResponse>(
            new DescribeConfigsRequest { Resources = [new() { ResourceType = 4, ResourceName = "1", ConfigurationKeys = ["num.partitions", "cluster.id"] }] }, 0);

        var configs = Assert.Single(response.Results).Configs.ToDictionary(c => c.Name);
        Assert.True(configs["num.partitions"].IsDefault);
        Assert.False(configs["cluster.id"].IsDefault);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_rejects_a_resource_given_twice_and_an_unknown_operation()
    {
        var request = new IncrementalAlterConfigsRequest
        {
            Resources =
            [
                new() { ResourceType = 2, ResourceName = "wire-twice", Configs = [new() { Name = "retention.ms", ConfigOperation = 0, Value = "1000" }] },
                new() { ResourceType = 2, ResourceName = "wire-twice", Configs = [new() { Name = "retention.ms", ConfigOperation = 0, Value = "2000" }] },
                new() { ResourceType = 2, ResourceName = "wire-op", Configs = [new() { Name = "retention.ms", ConfigOperation = 9, Value = "1000" }] },
            ],
        };

        var response = await RequestAsync<IncrementalAlterConfigsResponse>(request, 1);

        Assert.All(response.Responses, r => Assert.Equal((short)KafkaErrorCode.InvalidRequest, r.ErrorCode));
    }

    [Fact]
    public async Task DescribeCluster_for_controllers_reports_UNSUPPORTED_ENDPOINT_TYPE()
    {
        var response = await RequestAsync<DescribeClusterResponse>(new DescribeClusterRequest { EndpointType = 2 }, 1);

        Assert.Equal((short)KafkaErrorCode.UnsupportedEndpointType, response.ErrorCode);
        Assert.Empty(response.Brokers);
    }

    private async Task<TResponse> RequestAsync<TResponse>(Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(request, version, correlationId: 11);
        var (correlationId, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(11, correlationId);
        return response;
    }
}
