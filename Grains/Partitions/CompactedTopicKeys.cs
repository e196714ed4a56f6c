using System.Buffers;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Kafka's produce rule for compacted topics: every record needs a key (the cleaner could never drop a keyless one by
/// a newer value), else the batch is refused with INVALID_RECORD. Uncompressed records are walked in place; compressed
/// batches are decompressed into a scratch buffer, as Kafka's own validation does on compacted topics.
/// </summary>
internal static class CompactedTopicKeys
{
    /// <summary>
    /// Checks one client batch (its framing already checked); returns <see cref="KafkaErrorCode.None"/> or the error and
    /// message to answer. The CRC is verified first so malformed bytes are reported as CORRUPT_MESSAGE, not misread.
    /// </summary>
    public static KafkaErrorCode Check(ReadOnlySpan<byte> batch, ArrayBufferWriter<byte> scratch, string topic, int partition, out string? message)
    {
        if (RecordBatch.Validate(batch, out var header, out message) != BatchError.None)
        {
            return KafkaErrorCode.CorruptMessage;
        }

        try
        {
            foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
            {
                if (record.KeyIsNull)
                {
                    // Kafka's wording (LogValidator), so client logs read the same.
                    message = $"Compacted topic cannot accept message without key in topic partition {topic}-{partition}.";
                    return KafkaErrorCode.InvalidRecord;
                }
            }
        }
        catch (InvalidDataException ex)
        {
            message = $"The records of the batch are malformed: {ex.Message}";
            return KafkaErrorCode.CorruptMessage;
        }

        message = null;
        return KafkaErrorCode.None;
    }
}
