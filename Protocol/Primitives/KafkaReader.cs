using System.Buffers.Binary;
using System.Text;

namespace Orleans.Kafka.Protocol;

/// <summary>
/// Reads Kafka's primitive types (big-endian integers, varints, classic and compact strings,
/// bytes, arrays, records, tagged fields) from a buffer. Records are sliced from the input
/// without copying, so the buffer must outlive them. Any malformed or truncated input throws
/// <see cref="KafkaProtocolException"/>.
/// </summary>
public ref struct KafkaReader
{
    private readonly ReadOnlyMemory<byte> _memory;
    private readonly ReadOnlySpan<byte> _span;
    private int _position;

    public KafkaReader(ReadOnlyMemory<byte> buffer)
    {
        _memory = buffer;
        _span = buffer.Span;
        _position = 0;
    }

    /// <summary>Bytes consumed so far.</summary>
    public readonly int Position => _position;

    /// <summary>Bytes left to read.</summary>
    public readonly int Remaining => _span.Length - _position;

    public sbyte ReadInt8() => (sbyte)Take(1)[0];

    public short ReadInt16() => BinaryPrimitives.ReadInt16BigEndian(Take(2));

    public ushort ReadUInt16() => BinaryPrimitives.ReadUInt16BigEndian(Take(2));

    public int ReadInt32() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public uint ReadUInt32() => BinaryPrimitives.ReadUInt32BigEndian(Take(4));

    public long ReadInt64() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public double ReadFloat64() => BinaryPrimitives.ReadDoubleBigEndian(Take(8));

    /// <summary>Kafka treats any non-zero byte as true.</summary>
    public bool ReadBool() => Take(1)[0] != 0;

    /// <summary>A UUID as Kafka sends it: 16 bytes, most significant first.</summary>
    public Guid ReadUuid() => new(Take(16), bigEndian: true);

    /// <summary>An unsigned LEB128 varint of at most 5 bytes (32 bits).</summary>
    public uint ReadUnsignedVarInt()
    {
        uint result = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            var b = Take(1)[0];
            if (shift == 28 && (b & 0xF0) != 0)
            {
                throw new KafkaProtocolException("Unsigned varint is longer than 32 bits.");
            }

            result |= (uint)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new KafkaProtocolException("Unsigned varint is longer than 5 bytes.");
    }

    /// <summary>An unsigned LEB128 varint of at most 10 bytes (64 bits).</summary>
    public ulong ReadUnsignedVarLong()
    {
        ulong result = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            var b = Take(1)[0];
            if (shift == 63 && (b & 0xFE) != 0)
            {
                throw new KafkaProtocolException("Unsigned varlong is longer than 64 bits.");
            }

            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return result;
            }
        }

        throw new KafkaProtocolException("Unsigned varlong is longer than 10 bytes.");
    }

    /// <summary>A zig-zag encoded signed 32-bit varint.</summary>
    public int ReadVarInt()
    {
        var raw = ReadUnsignedVarInt();
        return (int)(raw >> 1) ^ -(int)(raw & 1);
    }

    /// <summary>A zig-zag encoded signed 64-bit varint.</summary>
    public long ReadVarLong()
    {
        var raw = ReadUnsignedVarLong();
        return (long)(raw >> 1) ^ -(long)(raw & 1);
    }

    /// <summary>STRING: int16 length, then UTF-8 bytes. Null (-1) is invalid here.</summary>
    public string ReadString() => ReadNullableString() ?? throw new KafkaProtocolException("Non-nullable string is null.");

    /// <summary>NULLABLE_STRING: int16 length (-1 for null), then UTF-8 bytes.</summary>
    public string? ReadNullableString()
    {
        int length = ReadInt16();
        return DecodeString(length);
    }

    /// <summary>COMPACT_STRING: unsigned varint length+1, then UTF-8 bytes. Null (0) is invalid here.</summary>
    public string ReadCompactString() =>
        ReadCompactNullableString() ?? throw new KafkaProtocolException("Non-nullable compact string is null.");

    /// <summary>COMPACT_NULLABLE_STRING: unsigned varint length+1 (0 for null), then UTF-8 bytes.</summary>
    public string? ReadCompactNullableString() => DecodeString(ReadCompactLength());

    /// <summary>BYTES: int32 length, then the bytes (copied). Null is invalid here.</summary>
    public byte[] ReadBytes() => ReadNullableBytes() ?? throw new KafkaProtocolException("Non-nullable bytes field is null.");

    /// <summary>NULLABLE_BYTES: int32 length (-1 for null), then the bytes (copied).</summary>
    public byte[]? ReadNullableBytes() => CopyBytes(ReadInt32());

    /// <summary>COMPACT_BYTES: unsigned varint length+1, then the bytes (copied). Null is invalid here.</summary>
    public byte[] ReadCompactBytes() =>
        ReadCompactNullableBytes() ?? throw new KafkaProtocolException("Non-nullable compact bytes field is null.");

    /// <summary>COMPACT_NULLABLE_BYTES: unsigned varint length+1 (0 for null), then the bytes (copied).</summary>
    public byte[]? ReadCompactNullableBytes() => CopyBytes(ReadCompactLength());

    /// <summary>RECORDS: int32 length (-1 for null), then the record batches, sliced without copying.</summary>
    public ReadOnlyMemory<byte>? ReadRecords() => SliceBytes(ReadInt32());

    /// <summary>COMPACT_RECORDS: unsigned varint length+1 (0 for null), sliced without copying.</summary>
    public ReadOnlyMemory<byte>? ReadCompactRecords() => SliceBytes(ReadCompactLength());

    /// <summary>ARRAY length: int32 count, -1 for a null array. Counts beyond the remaining bytes are rejected.</summary>
    public int ReadArrayLength() => CheckArrayLength(ReadInt32());

    /// <summary>COMPACT_ARRAY length: unsigned varint count+1, 0 (returned as -1) for a null array.</summary>
    public int ReadCompactArrayLength() => CheckArrayLength(ReadCompactLength());

    /// <summary>Takes <paramref name="length"/> bytes as a slice of the input, without copying.</summary>
    public ReadOnlyMemory<byte> ReadRawMemory(int length)
    {
        EnsureAvailable(length);
        var slice = _memory.Slice(_position, length);
        _position += length;
        return slice;
    }

    /// <summary>
    /// Starts one entry of a tagged-field section: reads its tag and size and returns a reader over
    /// exactly its data (this reader moves past it).
    /// </summary>
    public KafkaReader ReadTaggedField(out uint tag)
    {
        tag = ReadUnsignedVarInt();
        var size = ReadUnsignedVarInt();
        if (size > int.MaxValue)
        {
            throw new KafkaProtocolException($"Tagged field {tag} has invalid size {size}.");
        }

        return new KafkaReader(ReadRawMemory((int)size));
    }

    /// <summary>Reads a whole tagged-field section of which no tag is known; null when it is empty.</summary>
    public List<RawTaggedField>? ReadUnknownTaggedFields()
    {
        var count = ReadTaggedFieldCount();
        List<RawTaggedField>? fields = null;
        for (var i = 0; i < count; i++)
        {
            var field = ReadTaggedField(out var tag);
            (fields ??= []).Add(field.ReadUnknownTaggedField(tag));
        }

        return fields;
    }

    /// <summary>The number of entries in a tagged-field section (each is at least 2 bytes).</summary>
    public int ReadTaggedFieldCount()
    {
        var count = ReadUnsignedVarInt();
        if (count > (uint)Remaining / 2)
        {
            throw new KafkaProtocolException($"Tagged field count {count} exceeds the {Remaining} remaining bytes.");
        }

        return (int)count;
    }

    /// <summary>Keeps the rest of a tagged field's reader (from <see cref="ReadTaggedField"/>) as an unknown field.</summary>
    public RawTaggedField ReadUnknownTaggedField(uint tag)
    {
        var data = _span[_position..].ToArray();
        _position = _span.Length;
        return new RawTaggedField(tag, data);
    }

    /// <summary>Throws unless every byte was consumed (a tagged field whose size disagrees with its content).</summary>
    public readonly void EnsureFullyConsumed(string what)
    {
        if (Remaining != 0)
        {
            throw new KafkaProtocolException($"{what}: {Remaining} unread bytes remain.");
        }
    }

    private int ReadCompactLength()
    {
        var raw = ReadUnsignedVarInt();
        if (raw > int.MaxValue)
        {
            throw new KafkaProtocolException($"Compact length {raw} is out of range.");
        }

        return (int)raw - 1;
    }

    private readonly int CheckArrayLength(int count)
    {
        if (count < -1)
        {
            throw new KafkaProtocolException($"Invalid array length {count}.");
        }

        // Every element takes at least one byte in practice; this bounds allocation by the input size (as Kafka does).
        if (count > Remaining)
        {
            throw new KafkaProtocolException($"Array length {count} exceeds the {Remaining} remaining bytes.");
        }

        return count;
    }

    private string? DecodeString(int length)
    {
        if (length == -1)
        {
            return null;
        }

        if (length < -1)
        {
            throw new KafkaProtocolException($"Invalid string length {length}.");
        }

        return Encoding.UTF8.GetString(Take(length));
    }

    private byte[]? CopyBytes(int length)
    {
        if (length == -1)
        {
            return null;
        }

        if (length < -1)
        {
            throw new KafkaProtocolException($"Invalid bytes length {length}.");
        }

        return Take(length).ToArray();
    }

    private ReadOnlyMemory<byte>? SliceBytes(int length)
    {
        if (length == -1)
        {
            return null;
        }

        if (length < -1)
        {
            throw new KafkaProtocolException($"Invalid records length {length}.");
        }

        return ReadRawMemory(length);
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        EnsureAvailable(length);
        var slice = _span.Slice(_position, length);
        _position += length;
        return slice;
    }

    private readonly void EnsureAvailable(int length)
    {
        if (length < 0 || length > Remaining)
        {
            throw new KafkaProtocolException(
                $"Truncated input: needed {length} bytes at position {_position}, but only {Remaining} remain.");
        }
    }
}
