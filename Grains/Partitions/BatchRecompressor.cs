using System.Buffers;
using System.Buffers.Binary;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// Re-encodes a producer's batch in the topic's <c>compression.type</c> when that names a codec other than the batch's:
/// the records section is decompressed and compressed again, the header keeps every field but the codec bits and the
/// length, and the CRC is recomputed. Records themselves (deltas, keys, values, headers) are untouched.
/// </summary>
internal static class BatchRecompressor
{
    /// <summary>True when a batch in <paramref name="current"/> must be rewritten to be stored as <paramref name="target"/>.</summary>
    public static bool Needed(CompressionType current, CompressionType? target) => target is { } t && t != current;

    /// <summary>Returns the batch re-encoded with <paramref name="target"/> (a new array). The input must be one valid batch.</summary>
    /// <exception cref="InvalidDataException">The records do not decompress.</exception>
    public static byte[] Recompress(ReadOnlySpan<byte> batch, in RecordBatchHeader header, CompressionType target)
    {
        var body = batch[RecordBatchHeader.Size..header.TotalSize];
        var raw = new ArrayBufferWriter<byte>(Math.Max(body.Length * 2, 256));
        RecordCompression.Decompress(header.Compression, body, raw);
        var output = new ArrayBufferWriter<byte>(raw.WrittenCount + RecordBatchHeader.Size);
        batch[..RecordBatchHeader.Size].CopyTo(output.GetSpan(RecordBatchHeader.Size));
        output.Advance(RecordBatchHeader.Size);
        RecordCompression.Compress(target, raw.WrittenSpan, output);

        var result = output.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(result.AsSpan(RecordBatchHeader.BatchLengthOffset), result.Length - RecordBatchHeader.LogOverhead);
        var attributes = (short)((header.Attributes & ~RecordBatchHeader.CompressionMask) | (byte)target);
        BinaryPrimitives.WriteInt16BigEndian(result.AsSpan(RecordBatchHeader.AttributesOffset), attributes);
        RecordBatch.UpdateCrc(result);
        return result;
    }
}
