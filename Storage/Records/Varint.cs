namespace Orleans.Kafka.Storage.Records;

/// <summary>Zig-zag varints as used inside v2 records (protobuf encoding).</summary>
internal static class Varint
{
    public const int MaxVarIntBytes = 5;
    public const int MaxVarLongBytes = 10;

    /// <summary>Reads a zig-zag varlong; false when the bytes end early or the value is over-long.</summary>
    public static bool TryReadVarLong(ReadOnlySpan<byte> source, ref int position, out long value)
    {
        if (!TryReadRaw(source, ref position, MaxVarLongBytes, out var raw))
        {
            value = 0;
            return false;
        }

        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return true;
    }

    /// <summary>Reads a zig-zag varint; false when the bytes end early or the value does not fit 32 bits.</summary>
    public static bool TryReadVarInt(ReadOnlySpan<byte> source, ref int position, out int value)
    {
        var pos = position;
        if (!TryReadRaw(source, ref pos, MaxVarIntBytes, out var raw) || raw > uint.MaxValue)
        {
            value = 0;
            return false;
        }

        position = pos;
        var u = (uint)raw;
        value = (int)(u >> 1) ^ -(int)(u & 1);
        return true;
    }

    /// <summary>The unsigned base-128 value of at most <paramref name="maxBytes"/> bytes; position moves only on success.</summary>
    private static bool TryReadRaw(ReadOnlySpan<byte> source, ref int position, int maxBytes, out ulong raw)
    {
        raw = 0;
        var pos = position;
        for (var shift = 0; shift < maxBytes * 7; shift += 7)
        {
            if ((uint)pos >= (uint)source.Length)
            {
                return false;
            }

            var b = source[pos++];
            raw |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                position = pos;
                return true;
            }
        }

        return false;
    }

    public static int SizeOfVarLong(long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }

        return size;
    }

    public static int WriteVarLong(Span<byte> destination, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (raw >= 0x80)
        {
            destination[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        destination[i++] = (byte)raw;
        return i;
    }
}
