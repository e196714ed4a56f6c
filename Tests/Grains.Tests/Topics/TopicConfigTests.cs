using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Topics;

public sealed class TopicConfigTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private readonly IGrainFactory _grains = fixture.Grains;

    private async Task<string> NewTopic(Dictionary<string, string?>? configs = null)
    {
        var name = UniqueName("cfg");
        await _grains.CreateOk(Spec(name, configs: configs));
        return name;
    }

    private async Task<IReadOnlyDictionary<string, string>> Overrides(string name) =>
        (await _grains.Topic(name).GetInfo())!.ConfigOverrides;

    [Fact]
    public async Task Describe_lists_every_topic_config_with_kafka_defaults()
    {
        var name = await NewTopic();

        var result = await _grains.Topic(name).DescribeConfigs(null, includeSynonyms: false, includeDocumentation: false);

        Assert.Equal(KafkaErrorCode.None, result.Error);
        Assert.Equal(TopicConfigCatalog.All.Select(d => d.Name), result.Entries.Select(e => e.Name));
        Assert.All(result.Entries, e =>
        {
            Assert.Equal(ConfigSource.DefaultConfig, e.Source);
            Assert.False(e.ReadOnly);
            Assert.False(e.IsSensitive);
            Assert.Empty(e.Synonyms);
            Assert.Null(e.Documentation);
        });
        var byName = result.Entries.ToDictionary(e => e.Name);
        Assert.Equal(("delete", ConfigType.List), (byName["cleanup.policy"].Value, byName["cleanup.policy"].Type));
        Assert.Equal(("604800000", ConfigType.Long), (byName["retention.ms"].Value, byName["retention.ms"].Type));
        Assert.Equal(("1048588", ConfigType.Int), (byName["max.message.bytes"].Value, byName["max.message.bytes"].Type));
        Assert.Equal("producer", byName["compression.type"].Value);
        Assert.Equal("CreateTime", byName["message.timestamp.type"].Value);
        Assert.Equal("1", byName["min.insync.replicas"].Value);
    }

    [Fact]
    public async Task Describe_marks_overrides_dynamic_and_lists_synonyms_override_first()
    {
        var name = await NewTopic(new Dictionary<string, string?> { ["retention.ms"] = "1234" });

        var result = await _grains.Topic(name).DescribeConfigs(["retention.ms", "segment.bytes", "not.a.config"], includeSynonyms: true, includeDocumentation: true);

        Assert.Equal(["retention.ms", "segment.bytes"], result.Entries.Select(e => e.Name));
        var retention = result.Entries[0];
        Assert.Equal(("1234", ConfigSource.DynamicTopicConfig), (retention.Value, retention.Source));
        Assert.Equal(
            [new ConfigSynonym("retention.ms", "1234", ConfigSource.DynamicTopicConfig), new ConfigSynonym("log.retention.ms", "604800000", ConfigSource.DefaultConfig)],
            retention.Synonyms);
        Assert.False(string.IsNullOrWhiteSpace(retention.Documentation));
        var segment = result.Entries[1];
        Assert.Equal([new ConfigSynonym("log.segment.bytes", "1073741824", ConfigSource.DefaultConfig)], segment.Synonyms);
    }

    [Fact]
    public async Task Describe_of_unknown_topic_returns_UNKNOWN_TOPIC_OR_PARTITION()
    {
        var result = await _grains.Topic(UniqueName("none")).DescribeConfigs(null, false, false);

        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, result.Error);
    }

    [Fact]
    public async Task AlterConfigs_replaces_the_whole_override_set_and_updates_the_registry()
    {
        var name = await NewTopic(new Dictionary<string, string?> { ["retention.ms"] = "1000", ["cleanup.policy"] = "compact" });

        var result = await _grains.Topic(name).ReplaceConfigs(new Dictionary<string, string?> { ["segment.bytes"] = "1048576" }, validateOnly: false);

        Assert.Equal(AdminResult.Ok, result);
        var expected = new Dictionary<string, string> { ["segment.bytes"] = "1048576" };
        Assert.Equal(expected, await Overrides(name));
        Assert.Equal(expected, (await _grains.Registry().GetTopic(name))!.ConfigOverrides);
    }

    [Fact]
    public async Task AlterConfigs_with_a_bad_value_applies_nothing()
    {
        var name = await NewTopic(new Dictionary<string, string?> { ["retention.ms"] = "1000" });

        var result = await _grains.Topic(name).ReplaceConfigs(
            new Dictionary<string, string?> { ["segment.ms"] = "5", ["compression.type"] = "brotli" }, validateOnly: false);
        var nulls = await _grains.Topic(name).ReplaceConfigs(new Dictionary<string, string?> { ["segment.ms"] = null }, validateOnly: false);

        Assert.Equal(KafkaErrorCode.InvalidConfig, result.Error);
        Assert.Equal(KafkaErrorCode.InvalidRequest, nulls.Error);
        Assert.Equal(new Dictionary<string, string> { ["retention.ms"] = "1000" }, await Overrides(name));
    }

    [Fact]
    public async Task Incremental_set_delete_append_and_subtract_edit_overrides()
    {
        var name = await NewTopic(new Dictionary<string, string?> { ["retention.ms"] = "1000", ["segment.ms"] = "60000" });

        var result = await _grains.Topic(name).AlterConfigs(
        [
            new ConfigAlteration("retention.ms", AlterConfigOp.Set, "2000"),
            new ConfigAlteration("segment.ms", AlterConfigOp.Delete, null),
            new ConfigAlteration("cleanup.policy", AlterConfigOp.Append, "compact"),
            new ConfigAlteration("leader.replication.throttled.replicas", AlterConfigOp.Append, "0:1,1:1"),
        ], validateOnly: false);

        Assert.Equal(AdminResult.Ok, result);
        Assert.Equal(new Dictionary<string, string>
        {
            ["retention.ms"] = "2000",
            ["cleanup.policy"] = "delete,compact",
            ["leader.replication.throttled.replicas"] = "0:1,1:1",
        }, await Overrides(name));

        var subtract = await _grains.Topic(name).AlterConfigs(
        [
            new ConfigAlteration("cleanup.policy", AlterConfigOp.Subtract, "delete"),
            new ConfigAlteration("leader.replication.throttled.replicas", AlterConfigOp.Subtract, "0:1"),
        ], validateOnly: false);

        Assert.Equal(AdminResult.Ok, subtract);
        var overrides = await Overrides(name);
        Assert.Equal("compact", overrides["cleanup.policy"]);
        Assert.Equal("1:1", overrides["leader.replication.throttled.replicas"]);
        Assert.Equal(overrides, (await _grains.Registry().GetTopic(name))!.ConfigOverrides);
    }

    [Theory]
    [InlineData(AlterConfigOp.Append, "Config value append is not allowed for config key: retention.ms")]
    [InlineData(AlterConfigOp.Subtract, "Config value subtract is not allowed for config key: retention.ms")]
    public async Task Append_or_subtract_on_a_non_list_config_returns_INVALID_CONFIG(AlterConfigOp op, string message)
    {
        var name = await NewTopic();

        var result = await _grains.Topic(name).AlterConfigs([new ConfigAlteration("retention.ms", op, "5")], validateOnly: false);

        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidConfig, message), result);
        Assert.Empty(await Overrides(name));
    }

    [Fact]
    public async Task Incremental_errors_use_kafka_codes_and_apply_nothing()
    {
        var name = await NewTopic();
        var topic = _grains.Topic(name);

        var unknown = await topic.AlterConfigs([new ConfigAlteration("bogus", AlterConfigOp.Set, "1")], false);
        var badValue = await topic.AlterConfigs(
            [new ConfigAlteration("retention.ms", AlterConfigOp.Set, "1"), new ConfigAlteration("cleanup.policy", AlterConfigOp.Append, "shred")], false);
        var duplicate = await topic.AlterConfigs(
            [new ConfigAlteration("retention.ms", AlterConfigOp.Set, "1"), new ConfigAlteration("retention.ms", AlterConfigOp.Delete, null)], false);
        var badOp = await topic.AlterConfigs([new ConfigAlteration("retention.ms", (AlterConfigOp)9, "1")], false);

        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidConfig, "Unknown topic config name: bogus"), unknown);
        Assert.Equal(KafkaErrorCode.InvalidConfig, badValue.Error);
        Assert.Equal(new AdminResult(KafkaErrorCode.InvalidRequest, "Error due to duplicate config keys"), duplicate);
        Assert.Equal(KafkaErrorCode.InvalidRequest, badOp.Error);
        Assert.Empty(await Overrides(name));
    }

    [Fact]
    public async Task Validate_only_alterations_change_nothing()
    {
        var name = await NewTopic();
        var topic = _grains.Topic(name);

        var replace = await topic.ReplaceConfigs(new Dictionary<string, string?> { ["retention.ms"] = "1" }, validateOnly: true);
        var incremental = await topic.AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "1")], validateOnly: true);
        var invalid = await topic.AlterConfigs([new ConfigAlteration("retention.ms", AlterConfigOp.Set, "x")], validateOnly: true);

        Assert.Equal(AdminResult.Ok, replace);
        Assert.Equal(AdminResult.Ok, incremental);
        Assert.Equal(KafkaErrorCode.InvalidConfig, invalid.Error);
        Assert.Empty(await Overrides(name));
    }

    [Fact]
    public async Task Config_changes_survive_reactivation()
    {
        var name = await NewTopic();
        await _grains.Topic(name).AlterConfigs([new ConfigAlteration("max.message.bytes", AlterConfigOp.Set, "2048")], validateOnly: false);

        await fixture.Cluster.DeactivateAsync(_grains.Topic(name));
        await fixture.Cluster.DeactivateAsync(_grains.Registry());

        var described = await _grains.Topic(name).DescribeConfigs(["max.message.bytes"], false, false);
        Assert.Equal(("2048", ConfigSource.DynamicTopicConfig), (described.Entries[0].Value, described.Entries[0].Source));
        Assert.Equal("2048", (await _grains.Registry().GetTopic(name))!.ConfigOverrides["max.message.bytes"]);
    }

    [Fact]
    public async Task Changes_to_an_unknown_topic_return_UNKNOWN_TOPIC_OR_PARTITION()
    {
        var topic = _grains.Topic(UniqueName("missing"));

        var replace = await topic.ReplaceConfigs(new Dictionary<string, string?>(), false);
        var alter = await topic.AlterConfigs([], false);

        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, replace.Error);
        Assert.Equal(KafkaErrorCode.UnknownTopicOrPartition, alter.Error);
    }
}
