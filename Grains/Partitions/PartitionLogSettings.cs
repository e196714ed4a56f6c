using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// What a partition takes from its topic's configs (overrides over Kafka's defaults): the <see cref="LogConfig"/>, the
/// codec batches are stored in (<c>compression.type</c>: null = "producer", keep what was sent) and whether
/// DeleteRecords is allowed (<c>cleanup.policy</c> includes delete).
/// </summary>
internal sealed record PartitionLogSettings(LogConfig Log, CompressionType? StoredCompression, bool AllowsDeleteRecords)
{
    public static PartitionLogSettings From(IReadOnlyDictionary<string, string> overrides)
    {
        var log = new LogConfig
        {
            SegmentBytes = TopicConfigCatalog.GetLong(overrides, "segment.bytes"),
            SegmentMs = TopicConfigCatalog.GetLong(overrides, "segment.ms"),
            SegmentIndexBytes = (int)TopicConfigCatalog.GetLong(overrides, "segment.index.bytes"),
            IndexIntervalBytes = (int)TopicConfigCatalog.GetLong(overrides, "index.interval.bytes"),
            RetentionMs = TopicConfigCatalog.GetLong(overrides, "retention.ms"),
            RetentionBytes = TopicConfigCatalog.GetLong(overrides, "retention.bytes"),
            MaxMessageBytes = (int)TopicConfigCatalog.GetLong(overrides, "max.message.bytes"),
            MessageTimestampType = TopicConfigCatalog.EffectiveValue(overrides, "message.timestamp.type") == "LogAppendTime"
                ? TimestampType.LogAppendTime
                : TimestampType.CreateTime,
            MessageTimestampBeforeMaxMs = TopicConfigCatalog.GetLong(overrides, "message.timestamp.before.max.ms"),
            MessageTimestampAfterMaxMs = TopicConfigCatalog.GetLong(overrides, "message.timestamp.after.max.ms"),
            FlushMessages = TopicConfigCatalog.GetLong(overrides, "flush.messages"),
            FlushMs = TopicConfigCatalog.GetLong(overrides, "flush.ms"),
        };
        var compression = TopicConfigCatalog.EffectiveValue(overrides, "compression.type") switch
        {
            "uncompressed" => CompressionType.None,
            "gzip" => CompressionType.Gzip,
            "snappy" => CompressionType.Snappy,
            "lz4" => CompressionType.Lz4,
            "zstd" => CompressionType.Zstd,
            _ => (CompressionType?)null,
        };
        var deletes = TopicConfigCatalog.GetList(overrides, "cleanup.policy").Contains("delete");
        return new PartitionLogSettings(log, compression, deletes);
    }
}
