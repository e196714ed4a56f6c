using System.Buffers.Binary;
using System.IO.Hashing;

namespace Orleans.Kafka.Storage.GrainStorage;

/// <summary>
/// The on-disk form of one grain state:
/// <c>magic "OKGS" | u16 format version | u16 reserved | 16-byte etag | i32 payload length |
/// u32 CRC-32 of everything before it and the payload | payload</c> (little-endian).
/// The etag is a fresh GUID per write rather than a counter, so a writer holding an etag from
/// before a clear can never match a newer file (no ABA after delete and re-create).
/// </summary>
internal static class GrainStateFile
{
    public const int HeaderLength = 32;

    private const ushort FormatVersion = 1;

    private static ReadOnlySpan<byte> Magic => "OKGS"u8;

    public static byte[] Encode(Guid etag, ReadOnlySpan<byte> payload)
    {
        var file = new byte[HeaderLength + payload.Length];
        var span = file.AsSpan();
        Magic.CopyTo(span);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], FormatVersion);
        etag.TryWriteBytes(span[8..24]);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], payload.Length);
        payload.CopyTo(span[HeaderLength..]);
        var crc = new Crc32();
        crc.Append(span[..28]);
        crc.Append(payload);
        BinaryPrimitives.WriteUInt32LittleEndian(span[28..], crc.GetCurrentHashAsUInt32());
        return file;
    }

    /// <summary>Parses a whole file; throws <see cref="InvalidDataException"/> if it is not intact.</summary>
    public static (Guid ETag, ReadOnlyMemory<byte> Payload) Decode(ReadOnlyMemory<byte> file, string path)
    {
        var span = file.Span;
        var etag = DecodeHeader(span, path, out var length);
        if (length != span.Length - HeaderLength)
        {
            throw new InvalidDataException($"Grain state file '{path}' holds {span.Length - HeaderLength} payload bytes, its header says {length}.");
        }

        var crc = new Crc32();
        crc.Append(span[..28]);
        crc.Append(span[HeaderLength..]);
        if (crc.GetCurrentHashAsUInt32() != BinaryPrimitives.ReadUInt32LittleEndian(span[28..]))
        {
            throw new InvalidDataException($"Grain state file '{path}' fails its CRC check.");
        }

        return (etag, file[HeaderLength..]);
    }

    /// <summary>Reads the etag from a header (enough to check a write's precondition).</summary>
    public static Guid DecodeHeader(ReadOnlySpan<byte> header, string path, out int payloadLength)
    {
        if (header.Length < HeaderLength || !header[..4].SequenceEqual(Magic))
        {
            throw new InvalidDataException($"'{path}' is not a grain state file.");
        }

        var version = BinaryPrimitives.ReadUInt16LittleEndian(header[4..]);
        if (version != FormatVersion)
        {
            throw new InvalidDataException($"Grain state file '{path}' has unknown format version {version}.");
        }

        payloadLength = BinaryPrimitives.ReadInt32LittleEndian(header[24..]);
        return new Guid(header[8..24]);
    }
}
