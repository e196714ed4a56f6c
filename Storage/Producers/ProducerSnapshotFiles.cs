using System.Buffers.Binary;
using Orleans.Kafka.Storage.Records;
using System.Globalization;
using Orleans.Kafka.Storage.GrainStorage;

namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// Producer-state snapshot files, named <c>{offset:D20}.snapshot</c> like Kafka's, in our own
/// format (big-endian):
/// <code>
/// "OKPS" | u16 version (1) | u16 reserved | u32 CRC-32C of all bytes after it
/// i64 offset | i32 producer count
/// per producer: i64 id | i16 epoch | i32 coordinator epoch | i64 open txn first offset (-1)
///               i64 last update time ms | u8 batch count
///               per batch: i32 first seq | i32 last seq | i64 first offset | i64 last offset | i64 timestamp
/// </code>
/// Unlike Kafka's snapshot, all five cached batches are kept, so duplicates are still detected
/// after a restart. Written to a temp file, fsynced and renamed, so a snapshot is whole or absent.
/// </summary>
internal static class ProducerSnapshotFiles
{
    public const string Extension = ".snapshot";

    private const string TempExtension = ".snapshot.tmp";

    private const ushort FormatVersion = 1;

    private const int HeaderLength = 12;

    private const int BodyHeaderLength = 12;

    private const int EntryFixedLength = 8 + 2 + 4 + 8 + 8 + 1;

    private const int BatchLength = 4 + 4 + 8 + 8 + 8;

    private static ReadOnlySpan<byte> Magic => "OKPS"u8;

    public static string FileName(long offset) => offset.ToString("D20", CultureInfo.InvariantCulture) + Extension;

    public static string Write(string directory, long offset, IEnumerable<ProducerEntry> producers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var entries = producers.ToList();
        var length = HeaderLength + BodyHeaderLength + entries.Sum(e => EntryFixedLength + (e.Batches.Count * BatchLength));
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], FormatVersion);
        var pos = HeaderLength;
        BinaryPrimitives.WriteInt64BigEndian(span[pos..], offset);
        BinaryPrimitives.WriteInt32BigEndian(span[(pos + 8)..], entries.Count);
        pos += BodyHeaderLength;
        foreach (var entry in entries)
        {
            BinaryPrimitives.WriteInt64BigEndian(span[pos..], entry.ProducerId);
            BinaryPrimitives.WriteInt16BigEndian(span[(pos + 8)..], entry.Epoch);
            BinaryPrimitives.WriteInt32BigEndian(span[(pos + 10)..], entry.CoordinatorEpoch);
            BinaryPrimitives.WriteInt64BigEndian(span[(pos + 14)..], entry.CurrentTransactionFirstOffset);
            BinaryPrimitives.WriteInt64BigEndian(span[(pos + 22)..], entry.LastUpdateTimeMs);
            span[pos + 30] = (byte)entry.Batches.Count;
            pos += EntryFixedLength;
            foreach (var batch in entry.Batches)
            {
                BinaryPrimitives.WriteInt32BigEndian(span[pos..], batch.FirstSequence);
                BinaryPrimitives.WriteInt32BigEndian(span[(pos + 4)..], batch.LastSequence);
                BinaryPrimitives.WriteInt64BigEndian(span[(pos + 8)..], batch.FirstOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(pos + 16)..], batch.LastOffset);
                BinaryPrimitives.WriteInt64BigEndian(span[(pos + 24)..], batch.Timestamp);
                pos += BatchLength;
            }
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[8..], Crc32C.Compute(span[HeaderLength..]));

        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName(offset));
        var temp = path[..^Extension.Length] + TempExtension;
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1))
        {
            stream.Write(buffer);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectorySync.Flush(directory);
        return path;
    }

    /// <summary>Reads a snapshot; false if it is damaged in any way (wrong magic, version, CRC, lengths, offset).</summary>
    public static bool TryRead(string path, long expectedOffset, out List<ProducerEntry> entries)
    {
        entries = [];
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (FileNotFoundException)
        {
            return false;
        }

        ReadOnlySpan<byte> span = bytes;
        if (span.Length < HeaderLength + BodyHeaderLength
            || !span[..4].SequenceEqual(Magic)
            || BinaryPrimitives.ReadUInt16BigEndian(span[4..]) != FormatVersion
            || BinaryPrimitives.ReadUInt16BigEndian(span[6..]) != 0
            || BinaryPrimitives.ReadUInt32BigEndian(span[8..]) != Crc32C.Compute(span[HeaderLength..]))
        {
            return false;
        }

        var pos = HeaderLength;
        var offset = BinaryPrimitives.ReadInt64BigEndian(span[pos..]);
        var count = BinaryPrimitives.ReadInt32BigEndian(span[(pos + 8)..]);
        pos += BodyHeaderLength;
        if (offset != expectedOffset || count < 0)
        {
            return false;
        }

        for (var i = 0; i < count; i++)
        {
            if (span.Length - pos < EntryFixedLength)
            {
                return false;
            }

            var entry = new ProducerEntry(BinaryPrimitives.ReadInt64BigEndian(span[pos..]), BinaryPrimitives.ReadInt16BigEndian(span[(pos + 8)..]))
            {
                CoordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(span[(pos + 10)..]),
                CurrentTransactionFirstOffset = BinaryPrimitives.ReadInt64BigEndian(span[(pos + 14)..]),
                LastUpdateTimeMs = BinaryPrimitives.ReadInt64BigEndian(span[(pos + 22)..]),
            };
            int batches = span[pos + 30];
            pos += EntryFixedLength;
            if (batches > ProducerEntry.BatchesToRetain || span.Length - pos < batches * BatchLength)
            {
                return false;
            }

            for (var b = 0; b < batches; b++)
            {
                entry.AddBatch(new ProducerBatchInfo(
                    BinaryPrimitives.ReadInt32BigEndian(span[pos..]),
                    BinaryPrimitives.ReadInt32BigEndian(span[(pos + 4)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(pos + 8)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(pos + 16)..]),
                    BinaryPrimitives.ReadInt64BigEndian(span[(pos + 24)..])));
                pos += BatchLength;
            }

            entries.Add(entry);
        }

        return pos == span.Length;
    }

    /// <summary>Snapshot files in <paramref name="directory"/> by offset, ascending; removes leftover temp files.</summary>
    public static IEnumerable<(long Offset, string Path)> List(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return [];
        }

        foreach (var temp in Directory.EnumerateFiles(directory, "*" + TempExtension))
        {
            File.Delete(temp); // a snapshot write that never reached its rename
        }

        var found = new List<(long, string)>();
        foreach (var path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var name = Path.GetFileName(path);
            if (name.Length == 20 + Extension.Length
                && long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
            {
                found.Add((offset, path));
            }
        }

        return found.OrderBy(f => f.Item1);
    }

    public static int Delete(string directory, Func<long, bool> predicate)
    {
        var deleted = 0;
        foreach (var (offset, path) in List(directory))
        {
            if (predicate(offset))
            {
                File.Delete(path);
                deleted++;
            }
        }

        if (deleted > 0)
        {
            DirectorySync.Flush(directory);
        }

        return deleted;
    }
}
