namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// What a consumer group persists: that it exists, its generation and protocol, when it last became empty, and its
/// committed offsets. Members are not persisted (see <see cref="ConsumerGroupGrain"/>): after a restart they get
/// UNKNOWN_MEMBER_ID and rejoin, as clients do after any coordinator change.
/// </summary>
[GenerateSerializer, Alias("okafka.ConsumerGroupState")]
public sealed class ConsumerGroupState
{
    /// <summary>True from the first join or offset commit until the group is deleted or expires.</summary>
    [Id(0)]
    public bool Exists { get; set; }

    [Id(1)]
    public int Generation { get; set; }

    /// <summary>The protocol type of the members ("consumer"); empty for a group that only stores offsets.</summary>
    [Id(2)]
    public string ProtocolType { get; set; } = "";

    [Id(3)]
    public string? ProtocolName { get; set; }

    /// <summary>Unix ms when the group last became empty (Kafka's currentStateTimestamp for retention); -1 while it has members.</summary>
    [Id(4)]
    public long EmptySinceMs { get; set; } = -1;

    /// <summary>Committed offsets by topic, then partition.</summary>
    [Id(5)]
    public Dictionary<string, Dictionary<int, CommittedOffset>> Offsets { get; set; } = [];

    /// <summary>"classic" or "consumer" (KIP-848); for a consumer group <see cref="Generation"/> holds the group epoch.</summary>
    [Id(6)]
    public string GroupType { get; set; } = "classic";
}

/// <summary>One committed offset; <see cref="ExpireTimestampMs"/> is -1 unless the commit named a retention (OffsetCommit v2-v4).</summary>
[GenerateSerializer, Immutable, Alias("okafka.CommittedOffset")]
public sealed record CommittedOffset(
    [property: Id(0)] long Offset,
    [property: Id(1)] int LeaderEpoch,
    [property: Id(2)] string Metadata,
    [property: Id(3)] long CommitTimestampMs,
    [property: Id(4)] long ExpireTimestampMs);
