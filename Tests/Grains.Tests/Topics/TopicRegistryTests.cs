using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Topics;

public sealed class TopicRegistryTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    [Fact]
    public async Task Created_topic_is_listed_found_by_name_and_id_and_held_by_its_topic_grain()
    {
        var name = UniqueName("orders");
        var created = await _grains.CreateOk(Spec(name, partitions: 4, replicationFactor: 1));

        Assert.NotEqual(Guid.Empty, created.TopicId);
        Assert.Equal(4, created.Partitions.Count);
        Assert.All(created.Partitions, p =>
        {
            Assert.Equal(TopicClusters.NodeId, p.Leader);
            Assert.Equal(0, p.LeaderEpoch);
            Assert.Equal([TopicClusters.NodeId], p.Replicas);
            Assert.Equal([TopicClusters.NodeId], p.Isr);
        });
        Assert.Equal([0, 1, 2, 3], created.Partitions.Select(p => p.Index));

        var registry = _grains.Registry();
        Assert.Contains(await registry.ListTopics(), t => t.Name == name && t.TopicId == created.TopicId);
        Assert.Equal(created.TopicId, (await registry.GetTopic(name))!.TopicId);
        Assert.Equal(name, (await registry.GetTopicById(created.TopicId))!.Name);
        var held = await _grains.Topic(name).GetInfo();
        Assert.Equal(created.TopicId, held!.TopicId);
        Assert.Equal(4, held.Partitions.Count);
    }

    [Fact]
    public async Task Kafka_internal_topic_names_are_flagged_internal()
    {
        var created = await _grains.CreateOk(Spec("__consumer_offsets", partitions: 2));

        Assert.True(created.IsInternal);
        Assert.True((await _grains.Registry().GetTopic("__consumer_offsets"))!.IsInternal);
        Assert.True((await _grains.Topic("__consumer_offsets").GetInfo())!.IsInternal);
        Assert.False((await _grains.CreateOk(Spec(UniqueName("__mine")))).IsInternal);
    }

    [Fact]
    public async Task Minus_one_takes_num_partitions_and_replication_factor_from_broker_options()
    {
        var created = await _grains.CreateOk(Spec(UniqueName("defaults")));

        Assert.Equal(TopicClusters.DefaultPartitions, created.Partitions.Count);
        Assert.All(created.Partitions, p => Assert.Single(p.Replicas));
    }

    [Fact]
    public async Task Create_result_lists_every_config_with_overrides_marked_dynamic()
    {
        var result = await _grains.Registry().CreateTopic(
            Spec(UniqueName("cfg"), configs: new Dictionary<string, string?> { ["retention.ms"] = "1000" }), validateOnly: false);

        Assert.Equal(KafkaErrorCode.None, result.Error);
        var retention = Assert.Single(result.Configs!, c => c.Name == "retention.ms");
        Assert.Equal(("1000", ConfigSource.DynamicTopicConfig), (retention.Value, retention.Source));
        var segment = Assert.Single(result.Configs!, c => c.Name == "segment.bytes");
        Assert.Equal(("1073741824", ConfigSource.DefaultConfig), (segment.Value, segment.Source));
    }

    [Fact]
    public async Task Creating_an_existing_topic_returns_TOPIC_ALREADY_EXISTS()
    {
        var name = UniqueName("twice");
        var first = await _grains.CreateOk(Spec(name));

        var second = await _grains.Registry().CreateTopic(Spec(name, partitions: 7), validateOnly: false);

        Assert.Equal(KafkaErrorCode.TopicAlreadyExists, second.Error);
        Assert.Equal($"Topic '{name}' already exists.", second.Message);
        var stored = await _grains.Registry().GetTopic(name);
        Assert.Equal(first.TopicId, stored!.TopicId);
        Assert.Equal(TopicClusters.DefaultPartitions, stored.Partitions.Count);
    }

    [Fact]
    public async Task Concurrent_duplicate_creates_succeed_exactly_once()
    {
        var name = UniqueName("race");
        var registry = _grains.Registry();

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i =>
            registry.CreateTopic(Spec(name, partitions: i + 1), validateOnly: false)));

        var winner = Assert.Single(results, r => r.Error == KafkaErrorCode.None);
        Assert.All(results.Where(r => r != winner), r => Assert.Equal(KafkaErrorCode.TopicAlreadyExists, r.Error));
        var stored = await registry.GetTopic(name);
        Assert.Equal(winner.Topic!.TopicId, stored!.TopicId);
        Assert.Equal(winner.Topic.Partitions.Count, (await _grains.Topic(name).GetInfo())!.Partitions.Count);
    }

    [Theory]
    [InlineData("", "Topic name is illegal, it can't be empty")]
    [InlineData(".", "Topic name cannot be \".\" or \"..\"")]
    [InlineData("..", "Topic name cannot be \".\" or \"..\"")]
    [InlineData("has space", "Topic name \"has space\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")]
    [InlineData("slash/name", "Topic name \"slash/name\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")]
    [InlineData("ümlaut", "Topic name \"ümlaut\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'")]
    public async Task Illegal_names_return_INVALID_TOPIC_EXCEPTION(string name, string message)
    {
        var result = await _grains.Registry().CreateTopic(Spec(name), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidTopicException, result.Error);
        Assert.Equal(message, result.Message);
    }

    [Fact]
    public async Task Names_of_249_characters_are_legal_and_250_are_not()
    {
        var prefix = UniqueName("long");
        var longest = prefix + new string('x', 249 - prefix.Length);

        await _grains.CreateOk(Spec(longest));
        var tooLong = await _grains.Registry().CreateTopic(Spec(longest + "y"), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidTopicException, tooLong.Error);
        Assert.StartsWith("Topic name is illegal, it can't be longer than 249 characters", tooLong.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Names_differing_only_by_dot_and_underscore_collide()
    {
        var stem = UniqueName("metrics");
        await _grains.CreateOk(Spec(stem + ".a"));

        var result = await _grains.Registry().CreateTopic(Spec(stem + "_a"), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidTopicException, result.Error);
        Assert.Equal($"Topic '{stem}_a' collides with existing topic: {stem}.a", result.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public async Task Non_positive_partition_count_returns_INVALID_PARTITIONS(int partitions)
    {
        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("parts"), partitions: partitions), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidPartitions, result.Error);
        Assert.Equal("Number of partitions was set to an invalid non-positive value.", result.Message);
    }

    [Fact]
    public async Task Absurd_partition_count_returns_INVALID_PARTITIONS()
    {
        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("huge"), partitions: int.MaxValue), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidPartitions, result.Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-2)]
    public async Task Non_positive_replication_factor_returns_INVALID_REPLICATION_FACTOR(short replicationFactor)
    {
        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("rf"), replicationFactor: replicationFactor), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidReplicationFactor, result.Error);
    }

    [Fact]
    public async Task Replication_factor_above_live_silos_returns_INVALID_REPLICATION_FACTOR()
    {
        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("rf"), replicationFactor: 2), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidReplicationFactor, result.Error);
        Assert.Equal("Replication factor: 2 larger than available brokers: 1.", result.Message);
    }

    [Fact]
    public async Task Manual_assignment_creates_the_given_replicas()
    {
        var assignments = new Dictionary<int, IReadOnlyList<int>> { [1] = [1], [0] = [1] };

        var created = await _grains.CreateOk(Spec(UniqueName("manual"), assignments: assignments));

        Assert.Equal([0, 1], created.Partitions.Select(p => p.Index));
        Assert.All(created.Partitions, p => Assert.Equal([1], p.Replicas));
    }

    [Theory]
    [InlineData(2, -1, "A manual partition assignment was specified, but numPartitions was not set to -1.")]
    [InlineData(-1, 1, "A manual partition assignment was specified, but replication factor was not set to -1.")]
    public async Task Manual_assignment_with_counts_returns_INVALID_REQUEST(int partitions, short replicationFactor, string message)
    {
        var assignments = new Dictionary<int, IReadOnlyList<int>> { [0] = [1] };

        var result = await _grains.Registry().CreateTopic(
            Spec(UniqueName("both"), partitions, replicationFactor, assignments), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidRequest, result.Error);
        Assert.Equal(message, result.Message);
    }

    public static TheoryData<int[][], int[], string> BadAssignments => new()
    {
        { [[1], [1]], [0, 2], "partitions should be a consecutive 0-based integer sequence" },
        { [[]], [0], "The manual partition assignment includes an empty replica list." },
        { [[7]], [0], "The manual partition assignment includes broker 7, but no such broker is registered." },
        { [[1, 1]], [0], "The manual partition assignment includes the broker 1 more than once." },
    };

    [Theory]
    [MemberData(nameof(BadAssignments))]
    public async Task Bad_manual_assignment_returns_INVALID_REPLICA_ASSIGNMENT(int[][] replicas, int[] partitions, string message)
    {
        var assignments = partitions.Zip(replicas).ToDictionary(p => p.First, p => (IReadOnlyList<int>)p.Second);

        var result = await _grains.Registry().CreateTopic(Spec(UniqueName("bad"), assignments: assignments), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidReplicaAssignment, result.Error);
        Assert.Equal(message, result.Message);
    }

    [Theory]
    [InlineData("no.such.config", "1", "Unknown topic config name: no.such.config")]
    [InlineData("retention.ms", "abc", "Invalid value abc for configuration retention.ms: Not a number of type LONG")]
    [InlineData("retention.ms", "-2", "Invalid value -2 for configuration retention.ms: Value must be at least -1")]
    [InlineData("cleanup.policy", "delete,forever", "Invalid value delete,forever for configuration cleanup.policy: String must be one of: compact, delete")]
    [InlineData("compression.type", "brotli", "Invalid value brotli for configuration compression.type: String must be one of: uncompressed, zstd, lz4, snappy, gzip, producer")]
    [InlineData("message.timestamp.type", "Now", "Invalid value Now for configuration message.timestamp.type: String must be one of: CreateTime, LogAppendTime")]
    [InlineData("min.insync.replicas", "0", "Invalid value 0 for configuration min.insync.replicas: Value must be at least 1")]
    [InlineData("preallocate", "yes", "Invalid value yes for configuration preallocate: Expected value to be either true or false")]
    [InlineData("min.cleanable.dirty.ratio", "1.5", "Invalid value 1.5 for configuration min.cleanable.dirty.ratio: Value must be no less than 0 and no more than 1")]
    [InlineData("segment.bytes", "99999999999", "Invalid value 99999999999 for configuration segment.bytes: Not a number of type INT")]
    public async Task Invalid_create_configs_return_INVALID_CONFIG(string config, string value, string message)
    {
        var name = UniqueName("badcfg");
        var result = await _grains.Registry().CreateTopic(
            Spec(name, configs: new Dictionary<string, string?> { [config] = value }), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidConfig, result.Error);
        Assert.Equal(message, result.Message);
        Assert.Null(await _grains.Registry().GetTopic(name));
    }

    [Fact]
    public async Task Null_create_config_value_returns_INVALID_CONFIG()
    {
        var result = await _grains.Registry().CreateTopic(
            Spec(UniqueName("nullcfg"), configs: new Dictionary<string, string?> { ["retention.ms"] = null }), validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidConfig, result.Error);
    }

    [Fact]
    public async Task Validate_only_create_checks_everything_and_creates_nothing()
    {
        var name = UniqueName("dry");
        var registry = _grains.Registry();

        var ok = await registry.CreateTopic(Spec(name, partitions: 2), validateOnly: true);
        var bad = await registry.CreateTopic(Spec(name, replicationFactor: 5), validateOnly: true);

        Assert.Equal(KafkaErrorCode.None, ok.Error);
        Assert.Equal(2, ok.Topic!.Partitions.Count);
        Assert.Equal(Guid.Empty, ok.Topic.TopicId);
        Assert.Equal(KafkaErrorCode.InvalidReplicationFactor, bad.Error);
        Assert.Null(await registry.GetTopic(name));
        Assert.Null(await _grains.Topic(name).GetInfo());
    }

    [Fact]
    public async Task Delete_by_name_removes_the_topic_everywhere()
    {
        var name = UniqueName("gone");
        var created = await _grains.CreateOk(Spec(name));

        var result = await _grains.Registry().DeleteTopic(name, Guid.Empty);

        Assert.Equal((KafkaErrorCode.None, name, created.TopicId), (result.Error, result.Name, result.TopicId));
        Assert.Null(await _grains.Registry().GetTopic(name));
        Assert.Null(await _grains.Registry().GetTopicById(created.TopicId));
        Assert.DoesNotContain(await _grains.Registry().ListTopics(), t => t.Name == name);
        Assert.Null(await _grains.Topic(name).GetInfo());
    }

    [Fact]
    public async Task Delete_by_id_returns_the_name()
    {
        var name = UniqueName("byid");
        var created = await _grains.CreateOk(Spec(name));

        var result = await _grains.Registry().DeleteTopic(null, created.TopicId);

        Assert.Equal((KafkaErrorCode.None, name), (result.Error, result.Name));
        Assert.Null(await _grains.Registry().GetTopic(name));
    }

    [Fact]
    public async Task Deleting_unknown_topics_returns_UNKNOWN_TOPIC_OR_PARTITION_or_UNKNOWN_TOPIC_ID()
    {
        var byName = await _grains.Registry().DeleteTopic(UniqueName("never"), Guid.Empty);
        var byId = await _grains.Registry().DeleteTopic(null, Guid.NewGuid());

        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, byName.Error);
        Assert.Equal(KafkaErrorCode.UnknownTopicId, byId.Error);
    }

    [Fact]
    public async Task Recreated_topic_gets_a_new_id_and_fresh_metadata()
    {
        var name = UniqueName("again");
        var first = await _grains.CreateOk(Spec(name, partitions: 2, configs: new Dictionary<string, string?> { ["retention.ms"] = "5" }));
        await _grains.Registry().DeleteTopic(name, Guid.Empty);

        var second = await _grains.CreateOk(Spec(name, partitions: 1));

        Assert.NotEqual(first.TopicId, second.TopicId);
        var held = await _grains.Topic(name).GetInfo();
        Assert.Equal(second.TopicId, held!.TopicId);
        Assert.Single(held.Partitions);
        Assert.Empty(held.ConfigOverrides);
        Assert.Null(await _grains.Registry().GetTopicById(first.TopicId));
    }

    [Fact]
    public async Task Topic_id_is_stable_across_grain_deactivation()
    {
        var name = UniqueName("stable");
        var created = await _grains.CreateOk(Spec(name, partitions: 2));

        await fixture.Cluster.DeactivateAsync(_grains.Topic(name));
        await fixture.Cluster.DeactivateAsync(_grains.Registry());

        Assert.Equal(created.TopicId, (await _grains.Registry().GetTopic(name))!.TopicId);
        var held = await _grains.Topic(name).GetInfo();
        Assert.Equal(created.TopicId, held!.TopicId);
        Assert.Equal(2, held.Partitions.Count);
    }

    [Fact]
    public async Task Delete_racing_with_a_config_change_completes_without_deadlock()
    {
        var name = UniqueName("racedel");
        await _grains.CreateOk(Spec(name));

        var alter = _grains.Topic(name).AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "10")], validateOnly: false);
        var delete = _grains.Registry().DeleteTopic(name, Guid.Empty);
        await Task.WhenAll(alter, delete).WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(KafkaErrorCode.None, (await delete).Error);
        Assert.Contains((await alter).Error, new[] { KafkaErrorCode.None, KafkaErrorCode.UnknownTopicOrPartition });
        Assert.Null(await _grains.Registry().GetTopic(name));
        Assert.Null(await _grains.Topic(name).GetInfo());
    }
}
