using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.Gateway.Tests;

// Inside the namespace: Orleans.ErrorCode would otherwise win over a compilation-unit alias.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>The admin APIs through a real client (Confluent.Kafka / librdkafka) against the gateway and the topic grains.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminClientTests(GatewayFixture fixture) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly IAdminClient _admin = new AdminClientBuilder(new AdminClientConfig
    {
        BootstrapServers = fixture.BootstrapServers,
        SocketTimeoutMs = 20000,
    }).Build();

    public void Dispose() => _admin.Dispose();

    [Fact]
    public async Task CreateTopics_creates_a_topic_that_Metadata_then_lists()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-create", NumPartitions = 3, ReplicationFactor = 1 }]);

        var topic = Assert.Single(_admin.GetMetadata("ac-create", Timeout).Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(3, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(GatewayFixture.NodeId, p.Leader));
    }

    [Fact]
    public async Task CreateTopics_uses_the_broker_defaults_for_minus_one()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-defaults", NumPartitions = -1, ReplicationFactor = -1 }]);

        var topic = Assert.Single(_admin.GetMetadata("ac-defaults", Timeout).Topics);
        Assert.Single(topic.Partitions);
    }

    [Fact]
    public async Task CreateTopics_validate_only_creates_nothing()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-validate", NumPartitions = 2, ReplicationFactor = 1 }], new CreateTopicsOptions { ValidateOnly = true });

        Assert.DoesNotContain(_admin.GetMetadata(Timeout).Topics, t => t.Topic == "ac-validate");
    }

    [Theory]
    [InlineData("ac-bad-partitions", 0, 1, ErrorCode.InvalidPartitions)]
    [InlineData("ac-bad-replication", 1, 3, ErrorCode.InvalidReplicationFactor)]
    [InlineData("ac bad name", 1, 1, ErrorCode.TopicException)]
    public async Task CreateTopics_reports_Kafka_error_codes(string name, int partitions, short replicationFactor, ErrorCode expected)
    {
        var error = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            _admin.CreateTopicsAsync([new TopicSpecification { Name = name, NumPartitions = partitions, ReplicationFactor = replicationFactor }]));

        Assert.Equal(expected, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task CreateTopics_of_an_existing_topic_reports_TOPIC_ALREADY_EXISTS()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-twice", NumPartitions = 1, ReplicationFactor = 1 }]);

        var error = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-twice", NumPartitions = 1, ReplicationFactor = 1 }]));

        Assert.Equal(ErrorCode.TopicAlreadyExists, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task CreateTopics_with_an_invalid_config_reports_INVALID_CONFIG()
    {
        var error = await Assert.ThrowsAsync<CreateTopicsException>(() => _admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "ac-bad-config",
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = new Dictionary<string, string> { ["retention.ms"] = "not-a-number" },
        }]));

        Assert.Equal(ErrorCode.InvalidConfig, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task DeleteTopics_removes_the_topic_and_reports_unknown_ones()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-delete", NumPartitions = 1, ReplicationFactor = 1 }]);

        await _admin.DeleteTopicsAsync(["ac-delete"]);
        Assert.DoesNotContain(_admin.GetMetadata(Timeout).Topics, t => t.Topic == "ac-delete");

        var error = await Assert.ThrowsAsync<DeleteTopicsException>(() => _admin.DeleteTopicsAsync(["ac-delete"]));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task CreatePartitions_raises_the_count_and_rejects_lowering_it()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-grow", NumPartitions = 2, ReplicationFactor = 1 }]);

        await _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "ac-grow", IncreaseTo = 5 }]);
        Assert.Equal(5, Assert.Single(_admin.GetMetadata("ac-grow", Timeout).Topics).Partitions.Count);

        var lower = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "ac-grow", IncreaseTo = 3 }]));
        Assert.Equal(ErrorCode.InvalidPartitions, Assert.Single(lower.Results).Error.Code);

        var unknown = await Assert.ThrowsAsync<CreatePartitionsException>(() =>
            _admin.CreatePartitionsAsync([new PartitionsSpecification { Topic = "ac-no-such-topic", IncreaseTo = 3 }]));
        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(unknown.Results).Error.Code);
    }

    [Fact]
    public async Task DescribeConfigs_shows_topic_overrides_and_defaults()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "ac-describe",
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = new Dictionary<string, string> { ["retention.ms"] = "3600000" },
        }]);

        var report = Assert.Single(await _admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "ac-describe" }]));

        Assert.Equal("3600000", report.Entries["retention.ms"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, report.Entries["retention.ms"].Source);
        Assert.Equal("delete", report.Entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DefaultConfig, report.Entries["cleanup.policy"].Source);
    }

    [Fact]
    public async Task DescribeConfigs_of_an_unknown_topic_reports_UNKNOWN_TOPIC_OR_PARTITION()
    {
        var error = await Assert.ThrowsAsync<DescribeConfigsException>(() =>
            _admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "ac-never-created" }]));

        Assert.Equal(ErrorCode.UnknownTopicOrPart, Assert.Single(error.Results).Error.Code);
    }

    [Fact]
    public async Task DescribeConfigs_of_the_broker_lists_its_settings()
    {
        var report = Assert.Single(await _admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Broker, Name = "1" }]));

        Assert.Equal("1", report.Entries["num.partitions"].Value);
        Assert.Equal("true", report.Entries["auto.create.topics.enable"].Value);
        Assert.Equal("104857600", report.Entries["socket.request.max.bytes"].Value);
        Assert.Equal("1", report.Entries["node.id"].Value);
        Assert.Equal(ConfigSource.StaticBrokerConfig, report.Entries["cluster.id"].Source);
        Assert.True(report.Entries["num.partitions"].IsReadOnly);
    }

    [Fact]
    public async Task AlterConfigs_replaces_the_topic_overrides()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "ac-alter",
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = new Dictionary<string, string> { ["retention.ms"] = "3600000" },
        }]);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = "ac-alter" };

#pragma warning disable CS0618 // AlterConfigs is deprecated in favour of IncrementalAlterConfigs, and is what this test covers.
        await _admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [resource] = [new ConfigEntry { Name = "cleanup.policy", Value = "compact" }] });
#pragma warning restore CS0618

        var report = Assert.Single(await _admin.DescribeConfigsAsync([resource]));
        Assert.Equal("compact", report.Entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DefaultConfig, report.Entries["retention.ms"].Source);
    }

    [Fact]
    public async Task AlterConfigs_reports_INVALID_CONFIG_for_a_bad_value_and_INVALID_REQUEST_for_the_broker()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-alter-bad", NumPartitions = 1, ReplicationFactor = 1 }]);

#pragma warning disable CS0618 // AlterConfigs is deprecated in favour of IncrementalAlterConfigs, and is what this test covers.
        var badValue = await Assert.ThrowsAsync<AlterConfigsException>(() => _admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [new ConfigResource { Type = ResourceType.Topic, Name = "ac-alter-bad" }] = [new ConfigEntry { Name = "retention.ms", Value = "soon" }],
        }));
        var broker = await Assert.ThrowsAsync<AlterConfigsException>(() => _admin.AlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [new ConfigResource { Type = ResourceType.Broker, Name = "1" }] = [new ConfigEntry { Name = "num.partitions", Value = "4" }],
        }));
#pragma warning restore CS0618

        Assert.Equal(ErrorCode.InvalidConfig, Assert.Single(badValue.Results).Error.Code);
        Assert.Equal(ErrorCode.InvalidRequest, Assert.Single(broker.Results).Error.Code);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_sets_and_deletes_topic_overrides()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification
        {
            Name = "ac-incremental",
            NumPartitions = 1,
            ReplicationFactor = 1,
            Configs = new Dictionary<string, string> { ["retention.ms"] = "3600000" },
        }]);
        var resource = new ConfigResource { Type = ResourceType.Topic, Name = "ac-incremental" };

        await _admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>>
        {
            [resource] =
            [
                new ConfigEntry { Name = "cleanup.policy", Value = "compact", IncrementalOperation = AlterConfigOpType.Set },
                new ConfigEntry { Name = "retention.ms", IncrementalOperation = AlterConfigOpType.Delete },
            ],
        });

        var report = Assert.Single(await _admin.DescribeConfigsAsync([resource]));
        Assert.Equal("compact", report.Entries["cleanup.policy"].Value);
        Assert.Equal(ConfigSource.DynamicTopicConfig, report.Entries["cleanup.policy"].Source);
        Assert.Equal(ConfigSource.DefaultConfig, report.Entries["retention.ms"].Source);
    }

    [Fact]
    public async Task IncrementalAlterConfigs_reports_UNKNOWN_TOPIC_OR_PARTITION_INVALID_CONFIG_and_INVALID_REQUEST()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-incremental-bad", NumPartitions = 1, ReplicationFactor = 1 }]);

        async Task<ErrorCode> AlterAsync(ResourceType type, string name, ConfigEntry entry)
        {
            var error = await Assert.ThrowsAsync<IncrementalAlterConfigsException>(() =>
                _admin.IncrementalAlterConfigsAsync(new Dictionary<ConfigResource, List<ConfigEntry>> { [new ConfigResource { Type = type, Name = name }] = [entry] }));
            return Assert.Single(error.Results).Error.Code;
        }

        Assert.Equal(ErrorCode.UnknownTopicOrPart, await AlterAsync(ResourceType.Topic, "ac-never-made", new ConfigEntry { Name = "retention.ms", Value = "1000", IncrementalOperation = AlterConfigOpType.Set }));
        Assert.Equal(ErrorCode.InvalidConfig, await AlterAsync(ResourceType.Topic, "ac-incremental-bad", new ConfigEntry { Name = "no.such.config", Value = "1", IncrementalOperation = AlterConfigOpType.Set }));
        Assert.Equal(ErrorCode.InvalidRequest, await AlterAsync(ResourceType.Broker, "1", new ConfigEntry { Name = "num.partitions", Value = "4", IncrementalOperation = AlterConfigOpType.Set }));
    }

    [Fact]
    public async Task DescribeCluster_lists_this_gateway()
    {
        var cluster = await _admin.DescribeClusterAsync(new DescribeClusterOptions { IncludeAuthorizedOperations = true });

        Assert.Equal(GatewayFixture.ClusterId, cluster.ClusterId);
        var node = Assert.Single(cluster.Nodes);
        Assert.Equal(GatewayFixture.NodeId, node.Id);
        Assert.Equal("127.0.0.1", node.Host);
        Assert.Equal(fixture.Port, node.Port);
        Assert.Equal(GatewayFixture.NodeId, cluster.Controller.Id);
        Assert.Contains(AclOperation.IdempotentWrite, cluster.AuthorizedOperations);
    }

    [Fact]
    public async Task DescribeTopics_reports_partitions_and_topic_id()
    {
        await _admin.CreateTopicsAsync([new TopicSpecification { Name = "ac-describe-topic", NumPartitions = 2, ReplicationFactor = 1 }]);

        var result = await _admin.DescribeTopicsAsync(TopicCollection.OfTopicNames(["ac-describe-topic"]), new DescribeTopicsOptions { IncludeAuthorizedOperations = true });

        var topic = Assert.Single(result.TopicDescriptions);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(2, topic.Partitions.Count);
        Assert.NotEqual(new Uuid(0, 0).ToString(), topic.TopicId.ToString());
        Assert.Contains(AclOperation.Read, topic.AuthorizedOperations);
    }
}
