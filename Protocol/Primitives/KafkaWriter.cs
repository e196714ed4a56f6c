using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace Orleans.Kafka.Protocol;

/// <summary>
/// Writes Kafka's primitive types into an <see cref="IBufferWriter{T}"/>: big-endian integers,
/// varints, classic and compact strings, bytes, arrays, records and tagged fields. Strings are
/// encoded straight into the output, without an intermediate byte array.
/// </summary>
public sealed class KafkaWriter
{
    private const int RawChunkSize = 4096;

    private readonly IBufferWriter<byte> _output;

    public KafkaWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Bytes written through this writer so far.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>UTF-8 length of a string, computed without allocating.</summary>
    public static int Utf8Length(string value) => Encoding.UTF8.GetByteCount(value);

    /// <summary>Bytes an unsigned varint takes.</summary>
    public static int UnsignedVarIntLength(uint value)
    {
        var length = 1;
        while (value >= 0x80)
        {
            value >>= 7;
            length++;
        }

        return length;
    }

    public void WriteInt8(sbyte value)
    {
        var span = _output.GetSpan(1);
        span[0] = (byte)value;
        Advance(1);
    }

    public void WriteInt16(short value)
    {
        BinaryPrimitives.WriteInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_output.GetSpan(2), value);
        Advance(2);
    }

    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_output.GetSpan(4), value);
        Advance(4);
    }

    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteFloat64(double value)
    {
        BinaryPrimitives.WriteDoubleBigEndian(_output.GetSpan(8), value);
        Advance(8);
    }

    public void WriteBool(bool value)
    {
        var span = _output.GetSpan(1);
        span[0] = value ? (byte)1 : (byte)0;
        Advance(1);
    }

    /// <summary>A UUID as Kafka sends it: 16 bytes, most significant first.</summary>
    public void WriteUuid(Guid value)
    {
        var span = _output.GetSpan(16);
        value.TryWriteBytes(span, bigEndian: true, out _);
        Advance(16);
    }

    public void WriteUnsignedVarInt(uint value)
    {
        var span = _output.GetSpan(5);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        Advance(i);
    }

    public void WriteUnsignedVarLong(ulong value)
    {
        var span = _output.GetSpan(10);
        var i = 0;
        while (value >= 0x80)
        {
            span[i++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[i++] = (byte)value;
        Advance(i);
    }

    /// <summary>A zig-zag encoded signed 32-bit varint.</summary>
    public void WriteVarInt(int value) => WriteUnsignedVarInt((uint)((value << 1) ^ (value >> 31)));

    /// <summary>A zig-zag encoded signed 64-bit varint.</summary>
    public void WriteVarLong(long value) => WriteUnsignedVarLong((ulong)((value << 1) ^ (value >> 63)));

    /// <summary>STRING: int16 length, then UTF-8 bytes.</summary>
    public void WriteString(string value)
    {
        if (value is null)
        {
            throw new KafkaProtocolException("Non-nullable string is null.");
        }

        WriteNullableString(value);
    }

    /// <summary>NULLABLE_STRING: int16 length (-1 for null), then UTF-8 bytes.</summary>
    public void WriteNullableString(string? value)
    {
        if (value is null)
        {
            WriteInt16(-1);
            return;
        }

        var length = Utf8Length(value);
        if (length > short.MaxValue)
        {
            throw new KafkaProtocolException($"String of {length} UTF-8 bytes is longer than {short.MaxValue}.");
        }

        WriteInt16((short)length);
        WriteUtf8(value, length);
    }

    /// <summary>COMPACT_STRING: unsigned varint length+1, then UTF-8 bytes.</summary>
    public void WriteCompactString(string value)
    {
        if (value is null)
        {
            throw new KafkaProtocolException("Non-nullable compact string is null.");
        }

        WriteCompactNullableString(value);
    }

    /// <summary>COMPACT_NULLABLE_STRING: unsigned varint length+1 (0 for null), then UTF-8 bytes.</summary>
    public void WriteCompactNullableString(string? value)
    {
        if (value is null)
        {
            WriteUnsignedVarInt(0);
            return;
        }

        var length = Utf8Length(value);
        WriteUnsignedVarInt((uint)length + 1);
        WriteUtf8(value, length);
    }

    /// <summary>BYTES: int32 length, then the bytes.</summary>
    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        WriteInt32(value.Length);
        WriteRaw(value);
    }

    /// <summary>NULLABLE_BYTES: int32 length (-1 for null), then the bytes.</summary>
    public void WriteNullableBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteInt32(-1);
            return;
        }

        WriteBytes(value);
    }

    /// <summary>COMPACT_BYTES: unsigned varint length+1, then the bytes.</summary>
    public void WriteCompactBytes(ReadOnlySpan<byte> value)
    {
        WriteUnsignedVarInt((uint)value.Length + 1);
        WriteRaw(value);
    }

    /// <summary>COMPACT_NULLABLE_BYTES: unsigned varint length+1 (0 for null), then the bytes.</summary>
    public void WriteCompactNullableBytes(byte[]? value)
    {
        if (value is null)
        {
            WriteUnsignedVarInt(0);
            return;
        }

        WriteCompactBytes(value);
    }

    /// <summary>RECORDS: int32 length (-1 for null), then the record batches as they are.</summary>
    public void WriteRecords(ReadOnlyMemory<byte>? records)
    {
        if (records is not { } value)
        {
            WriteInt32(-1);
            return;
        }

        WriteBytes(value.Span);
    }

    /// <summary>COMPACT_RECORDS: unsigned varint length+1 (0 for null), then the record batches as they are.</summary>
    public void WriteCompactRecords(ReadOnlyMemory<byte>? records)
    {
        if (records is not { } value)
        {
            WriteUnsignedVarInt(0);
            return;
        }

        WriteCompactBytes(value.Span);
    }

    /// <summary>ARRAY length: int32 count, -1 for a null array.</summary>
    public void WriteArrayLength(int count) => WriteInt32(count);

    /// <summary>COMPACT_ARRAY length: unsigned varint count+1, 0 for a null array (pass -1).</summary>
    public void WriteCompactArrayLength(int count) => WriteUnsignedVarInt((uint)(count + 1));

    /// <summary>Copies bytes to the output as they are.</summary>
    public void WriteRaw(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            // Ask for at most a pool-sized block: a pipe hands out larger requests as unpooled arrays.
            var span = _output.GetSpan(Math.Min(bytes.Length, RawChunkSize));
            var n = Math.Min(span.Length, bytes.Length);
            bytes[..n].CopyTo(span);
            Advance(n);
            bytes = bytes[n..];
        }
    }

    /// <summary>An empty tagged-field section (count 0).</summary>
    public void WriteEmptyTaggedFields() => WriteUnsignedVarInt(0);

    /// <summary>
    /// Writes the unknown tagged fields, from <paramref name="index"/> on, whose tag is below
    /// <paramref name="tagLimit"/>; keeps known and unknown fields in ascending tag order.
    /// </summary>
    public void WriteRawTaggedFields(List<RawTaggedField>? fields, ref int index, uint tagLimit)
    {
        if (fields is null)
        {
            return;
        }

        while (index < fields.Count && fields[index].Tag < tagLimit)
        {
            var field = fields[index++];
            WriteUnsignedVarInt(field.Tag);
            WriteUnsignedVarInt((uint)field.Data.Length);
            WriteRaw(field.Data);
        }
    }

    /// <summary>
    /// A writer over a scratch buffer for one tagged field's value, whose size must be known
    /// before it is written; finish with <see cref="WriteTaggedField"/>.
    /// </summary>
    public static KafkaWriter CreateTaggedFieldWriter() => new(new ArrayBufferWriter<byte>());

    /// <summary>Writes tag, size and the value collected by a writer from <see cref="CreateTaggedFieldWriter"/>.</summary>
    public void WriteTaggedField(uint tag, KafkaWriter fieldWriter)
    {
        ArgumentNullException.ThrowIfNull(fieldWriter);
        if (fieldWriter._output is not ArrayBufferWriter<byte> buffer)
        {
            throw new ArgumentException("The field writer must come from CreateTaggedFieldWriter.", nameof(fieldWriter));
        }

        WriteUnsignedVarInt(tag);
        WriteUnsignedVarInt((uint)buffer.WrittenCount);
        WriteRaw(buffer.WrittenSpan);
    }

    private void WriteUtf8(string value, int length)
    {
        if (length == 0)
        {
            return;
        }

        var span = _output.GetSpan(length);
        var written = Encoding.UTF8.GetBytes(value, span);
        Advance(written);
    }

    private void Advance(int count)
    {
        _output.Advance(count);
        BytesWritten += count;
    }
}
