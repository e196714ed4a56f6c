using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Tests.Topics;

public sealed class TopicConfigCatalogTests
{
    [Fact]
    public void Every_default_is_a_valid_value_of_its_own_config()
    {
        Assert.All(TopicConfigCatalog.All, d => Assert.Null(d.Validate(d.DefaultValue)));
    }

    [Fact]
    public void Names_are_unique_sorted_and_documented()
    {
        var names = TopicConfigCatalog.All.Select(d => d.Name).ToList();

        Assert.Equal(names.Distinct().Count(), names.Count);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.All(TopicConfigCatalog.All, d => Assert.False(string.IsNullOrWhiteSpace(d.Documentation)));
    }

    [Fact]
    public void Describe_with_an_empty_key_list_lists_everything_like_null()
    {
        var overrides = new Dictionary<string, string>();

        Assert.Equal(TopicConfigCatalog.All.Count, TopicConfigCatalog.Describe(overrides, [], false, false).Count);
        Assert.Equal(TopicConfigCatalog.All.Count, TopicConfigCatalog.Describe(overrides, null, false, false).Count);
    }

    [Theory]
    [InlineData("retention.ms", "log.retention.ms")]
    [InlineData("segment.bytes", "log.segment.bytes")]
    [InlineData("cleanup.policy", "log.cleanup.policy")]
    [InlineData("max.message.bytes", "message.max.bytes")]
    [InlineData("min.insync.replicas", "min.insync.replicas")]
    [InlineData("message.timestamp.type", "log.message.timestamp.type")]
    [InlineData("retention.bytes", "log.retention.bytes")]
    public void Topic_configs_name_their_broker_synonym(string config, string synonym)
    {
        Assert.True(TopicConfigCatalog.TryGet(config, out var definition));
        Assert.Equal(synonym, definition.BrokerSynonym);
    }

    [Theory]
    [InlineData("cleanup.policy", "compact,delete")]
    [InlineData("cleanup.policy", "compact")]
    [InlineData("compression.type", "zstd")]
    [InlineData("message.timestamp.type", "LogAppendTime")]
    [InlineData("retention.ms", "-1")]
    [InlineData("retention.bytes", "-1")]
    [InlineData("preallocate", "TRUE")]
    [InlineData("min.cleanable.dirty.ratio", "0.01")]
    [InlineData("follower.replication.throttled.replicas", "*")]
    [InlineData("compression.gzip.level", "-1")]
    public void Accepts_kafka_legal_values(string config, string value)
    {
        Assert.Null(TopicConfigCatalog.Validate(config, value));
    }

    [Fact]
    public void Stored_values_are_normalized_and_typed_reads_see_defaults_and_overrides()
    {
        var edit = TopicConfigEditor.Replace(
            new Dictionary<string, string?> { ["retention.ms"] = " 100 ", ["cleanup.policy"] = "compact, delete," }, KafkaErrorCode.InvalidConfig);

        Assert.True(edit.Outcome.IsOk);
        Assert.Equal("100", edit.Overrides["retention.ms"]);
        Assert.Equal("compact,delete", edit.Overrides["cleanup.policy"]);
        Assert.Equal(100, TopicConfigCatalog.GetLong(edit.Overrides, "retention.ms"));
        Assert.Equal(1073741824, TopicConfigCatalog.GetLong(edit.Overrides, "segment.bytes"));
        Assert.Equal(["compact", "delete"], TopicConfigCatalog.GetList(edit.Overrides, "cleanup.policy"));
        Assert.False(TopicConfigCatalog.GetBoolean(edit.Overrides, "preallocate"));
    }

    [Fact]
    public void Append_skips_present_items_and_subtract_of_absent_items_is_harmless()
    {
        var current = new Dictionary<string, string> { ["cleanup.policy"] = "delete" };

        var appended = TopicConfigEditor.Apply(current, [new ConfigAlteration("cleanup.policy", AlterConfigOp.Append, "delete,compact,compact")]);
        var subtracted = TopicConfigEditor.Apply(current, [new ConfigAlteration("cleanup.policy", AlterConfigOp.Subtract, "compact")]);

        Assert.Equal("delete,compact", appended.Overrides["cleanup.policy"]);
        Assert.Equal("delete", subtracted.Overrides["cleanup.policy"]);
        Assert.Equal("delete", current["cleanup.policy"]);
    }
}
