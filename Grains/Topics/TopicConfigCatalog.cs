using System.Collections.Frozen;
using System.Globalization;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// Every Kafka topic-level config (Kafka 4.x's set; segment.bytes keeps 3.x's lower bound of 14 so small test segments work) with Kafka's names, types, defaults, value rules and broker synonyms.
/// Immutable data only: the catalogue is shared by all grains.
/// </summary>
public static class TopicConfigCatalog
{
    private const string LongMax = "9223372036854775807";

    /// <summary>All definitions, in name order (DescribeConfigs lists them this way).</summary>
    public static IReadOnlyList<TopicConfigDefinition> All { get; } = Build();

    private static readonly FrozenDictionary<string, TopicConfigDefinition> ByName =
        All.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    public static bool TryGet(string name, out TopicConfigDefinition definition) =>
        ByName.TryGetValue(name, out definition!);

    /// <summary>Returns Kafka's INVALID_CONFIG text for an unknown name or a bad value, or null when the pair is valid.</summary>
    public static string? Validate(string name, string value) =>
        TryGet(name, out var definition) ? definition.Validate(value) : UnknownName(name);

    public static string UnknownName(string? name) => $"Unknown topic config name: {name}";

    /// <summary>The value in force for <paramref name="name"/>: the topic's override, else Kafka's default.</summary>
    public static string EffectiveValue(IReadOnlyDictionary<string, string> overrides, string name)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        if (!TryGet(name, out var definition))
        {
            throw new ArgumentException(UnknownName(name), nameof(name));
        }

        return overrides.TryGetValue(name, out var value) ? value : definition.DefaultValue;
    }

    /// <summary>Typed read of an INT/LONG config in force (overrides are validated and normalized when stored).</summary>
    public static long GetLong(IReadOnlyDictionary<string, string> overrides, string name) =>
        long.Parse(EffectiveValue(overrides, name), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    public static double GetDouble(IReadOnlyDictionary<string, string> overrides, string name) =>
        double.Parse(EffectiveValue(overrides, name), NumberStyles.Float, CultureInfo.InvariantCulture);

    public static bool GetBoolean(IReadOnlyDictionary<string, string> overrides, string name) =>
        bool.Parse(EffectiveValue(overrides, name));

    public static IReadOnlyList<string> GetList(IReadOnlyDictionary<string, string> overrides, string name) =>
        TopicConfigDefinition.SplitList(EffectiveValue(overrides, name));

    /// <summary>
    /// DescribeConfigs for a topic: overrides come from DynamicTopicConfig, everything else is the DefaultConfig value.
    /// Synonyms list the override first, then the broker-level synonym at its default.
    /// </summary>
    public static IReadOnlyList<ConfigEntry> Describe(
        IReadOnlyDictionary<string, string> overrides, IReadOnlyCollection<string>? keys, bool includeSynonyms, bool includeDocumentation)
    {
        // Kafka describes every config when the key list is null or empty.
        var wanted = keys is { Count: > 0 } ? new HashSet<string>(keys, StringComparer.Ordinal) : null;
        var entries = new List<ConfigEntry>(wanted?.Count ?? All.Count);
        foreach (var definition in All)
        {
            if (wanted is not null && !wanted.Contains(definition.Name))
            {
                continue;
            }

            var overridden = overrides.TryGetValue(definition.Name, out var value);
            var synonyms = includeSynonyms ? Synonyms(definition, overridden ? value : null) : [];
            entries.Add(new ConfigEntry(
                definition.Name,
                overridden ? value : definition.DefaultValue,
                ReadOnly: false,
                overridden ? ConfigSource.DynamicTopicConfig : ConfigSource.DefaultConfig,
                IsSensitive: false,
                synonyms,
                definition.Type,
                includeDocumentation ? definition.Documentation : null));
        }

        return entries;
    }

    private static ConfigSynonym[] Synonyms(TopicConfigDefinition definition, string? overrideValue)
    {
        var list = new List<ConfigSynonym>(2);
        if (overrideValue is not null)
        {
            list.Add(new ConfigSynonym(definition.Name, overrideValue, ConfigSource.DynamicTopicConfig));
        }

        if (definition.BrokerSynonym is not null)
        {
            list.Add(new ConfigSynonym(definition.BrokerSynonym, definition.DefaultValue, ConfigSource.DefaultConfig));
        }

        return [.. list];
    }

    private static TopicConfigDefinition[] Build()
    {
        TopicConfigDefinition[] definitions =
        [
            new("cleanup.policy", ConfigType.List, "delete", "log.cleanup.policy",
                "Retention strategy for old segments: 'delete' removes them by time or size, 'compact' keeps the latest record per key; both may be combined.",
                ListOf("compact", "delete")),
            new("compression.gzip.level", ConfigType.Int, "-1", "compression.gzip.level",
                "Compression level used when compression.type is gzip (1-9, or -1 for the codec default).",
                v => Int(v) is -1 or (>= 1 and <= 9) ? null : "Value must be between 1 and 9, or -1 for the default"),
            new("compression.lz4.level", ConfigType.Int, "9", "compression.lz4.level",
                "Compression level used when compression.type is lz4.", RangeInt(1, 17)),
            new("compression.type", ConfigType.String, "producer", "compression.type",
                "Codec for stored batches; 'producer' keeps whatever codec the producer used.",
                OneOf("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer")),
            new("compression.zstd.level", ConfigType.Int, "3", "compression.zstd.level",
                "Compression level used when compression.type is zstd.", RangeInt(-131072, 22)),
            new("delete.retention.ms", ConfigType.Long, "86400000", "log.cleaner.delete.retention.ms",
                "How long delete tombstones are kept on compacted topics, so readers can see the deletion.", AtLeast(0)),
            new("file.delete.delay.ms", ConfigType.Long, "60000", "log.segment.delete.delay.ms",
                "Time to wait before a deleted segment file is removed from disk.", AtLeast(0)),
            new("flush.messages", ConfigType.Long, LongMax, "log.flush.interval.messages",
                "Number of messages after which the log is forced to disk; by default the OS decides.", AtLeast(1)),
            new("flush.ms", ConfigType.Long, LongMax, "log.flush.interval.ms",
                "Time after which the log is forced to disk; by default the OS decides.", AtLeast(0)),
            new("follower.replication.throttled.replicas", ConfigType.List, "", null,
                "Replicas whose follower replication is throttled: 'partition:broker' pairs, or '*' for all.", ThrottledReplicas),
            new("index.interval.bytes", ConfigType.Int, "4096", "log.index.interval.bytes",
                "How many bytes of log lie between offset-index entries.", AtLeast(0)),
            new("leader.replication.throttled.replicas", ConfigType.List, "", null,
                "Replicas whose leader-side replication is throttled: 'partition:broker' pairs, or '*' for all.", ThrottledReplicas),
            new("local.retention.bytes", ConfigType.Long, "-2", "log.local.retention.bytes",
                "Local size limit when tiered storage is on; -2 means use retention.bytes.", AtLeast(-2)),
            new("local.retention.ms", ConfigType.Long, "-2", "log.local.retention.ms",
                "Local time limit when tiered storage is on; -2 means use retention.ms.", AtLeast(-2)),
            new("max.compaction.lag.ms", ConfigType.Long, LongMax, "log.cleaner.max.compaction.lag.ms",
                "Longest time a record may stay uncompacted.", AtLeast(1)),
            new("max.message.bytes", ConfigType.Int, "1048588", "message.max.bytes",
                "Largest record batch the topic accepts, after compression.", AtLeast(0)),
            new("message.downconversion.enable", ConfigType.Boolean, "true", "log.message.downconversion.enable",
                "Kept for compatibility: Kafka 4 no longer down-converts records for old consumers, so this has no effect.", null),
            new("message.timestamp.after.max.ms", ConfigType.Long, "3600000", "log.message.timestamp.after.max.ms",
                "How far in the future a CreateTime timestamp may be before the batch is rejected.", AtLeast(0)),
            new("message.timestamp.before.max.ms", ConfigType.Long, LongMax, "log.message.timestamp.before.max.ms",
                "How far in the past a CreateTime timestamp may be before the batch is rejected.", AtLeast(0)),
            new("message.timestamp.type", ConfigType.String, "CreateTime", "log.message.timestamp.type",
                "Whether record timestamps are the producer's (CreateTime) or the broker's append time (LogAppendTime).",
                OneOf("CreateTime", "LogAppendTime")),
            new("min.cleanable.dirty.ratio", ConfigType.Double, "0.5", "log.cleaner.min.cleanable.ratio",
                "Share of the log that must be uncompacted before the cleaner compacts it.", RangeDouble(0, 1)),
            new("min.compaction.lag.ms", ConfigType.Long, "0", "log.cleaner.min.compaction.lag.ms",
                "Shortest time a record stays uncompacted.", AtLeast(0)),
            new("min.insync.replicas", ConfigType.Int, "1", "min.insync.replicas",
                "Fewest in-sync replicas that must acknowledge a write made with acks=all.", AtLeast(1)),
            new("preallocate", ConfigType.Boolean, "false", "log.preallocate",
                "Whether new segment files are preallocated on disk.", null),
            new("remote.log.copy.disable", ConfigType.Boolean, "false", null,
                "Stops copying segments to tiered storage while keeping what is already there readable.", null),
            new("remote.log.delete.on.disable", ConfigType.Boolean, "false", null,
                "Whether tiered-storage data is deleted when tiering is turned off for the topic.", null),
            new("remote.storage.enable", ConfigType.Boolean, "false", null,
                "Whether the topic uses tiered storage.", null),
            new("retention.bytes", ConfigType.Long, "-1", "log.retention.bytes",
                "Largest size a partition may grow to before old segments are deleted; -1 means no size limit.", null),
            new("retention.ms", ConfigType.Long, "604800000", "log.retention.ms",
                "How long records are kept before old segments are deleted; -1 means no time limit.", AtLeast(-1)),
            new("segment.bytes", ConfigType.Int, "1073741824", "log.segment.bytes",
                "Size at which a new log segment file is started.", AtLeast(14)),
            new("segment.index.bytes", ConfigType.Int, "10485760", "log.index.size.max.bytes",
                "Size of a segment's offset index file.", AtLeast(4)),
            new("segment.jitter.ms", ConfigType.Long, "0", "log.roll.jitter.ms",
                "Random jitter subtracted from segment.ms so segments do not all roll at once.", AtLeast(0)),
            new("segment.ms", ConfigType.Long, "604800000", "log.roll.ms",
                "Time after which a new segment is started even if the current one is not full.", AtLeast(1)),
            new("unclean.leader.election.enable", ConfigType.Boolean, "false", "unclean.leader.election.enable",
                "Whether a replica outside the in-sync set may become leader, at the cost of losing records.", null),
        ];
        return definitions;
    }

    private static long Long(string value) => long.Parse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static int Int(string value) => int.Parse(value.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static Func<string, string?> AtLeast(long min) =>
        v => Long(v) >= min ? null : $"Value must be at least {min}";

    private static Func<string, string?> RangeInt(int min, int max) =>
        v => Int(v) is var i && i >= min && i <= max ? null : $"Value must be no less than {min} and no more than {max}";

    private static Func<string, string?> RangeDouble(double min, double max) =>
        v => double.Parse(v.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture) is var d && d >= min && d <= max
            ? null
            : $"Value must be no less than {min.ToString(CultureInfo.InvariantCulture)} and no more than {max.ToString(CultureInfo.InvariantCulture)}";

    private static Func<string, string?> OneOf(params string[] allowed) =>
        v => allowed.Contains(v.Trim(), StringComparer.Ordinal) ? null : $"String must be one of: {string.Join(", ", allowed)}";

    private static Func<string, string?> ListOf(params string[] allowed) =>
        v => TopicConfigDefinition.SplitList(v).All(item => allowed.Contains(item, StringComparer.Ordinal))
            ? null
            : $"String must be one of: {string.Join(", ", allowed)}";

    /// <summary>Kafka's throttled-replica list: either '*' alone or 'partition:broker' pairs of integers.</summary>
    private static string? ThrottledReplicas(string value)
    {
        var items = TopicConfigDefinition.SplitList(value);
        if (items is ["*"])
        {
            return null;
        }

        foreach (var item in items)
        {
            var parts = item.Split(':');
            if (parts.Length != 2
                || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _)
                || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                return "must be the literal '*' or a list of replicas in the following format: [partitionId]:[brokerId],[partitionId]:[brokerId],...";
            }
        }

        return null;
    }
}
