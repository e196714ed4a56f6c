namespace Orleans.Kafka.Storage.Records;

/// <summary>Zig-zag varints as used inside v2 records (protobuf encoding).</summary>
internal static class Varint
{
    public const int MaxVarIntBytes = 5;
    public const int MaxVarLongBytes = 10;

    /// <summary>Reads a zig-zag varlong; false when the bytes end early or the value is over-long.</summary>
    public static bool TryReadVarLong(ReadOnlySpan<byte> source, ref int position, out long value)
    {
        ulong raw = 0;
        var shift = 0;
        var pos = position;
        while (true)
        {
            if ((uint)pos >= (uint)source.Length || shift > 63)
            {
                value = 0;
                return false;
            }

            var b = source[pos++];
            raw |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }

            shift += 7;
        }

        position = pos;
        value = (long)(raw >> 1) ^ -(long)(raw & 1);
        return true;
    }

    public static bool TryReadVarInt(ReadOnlySpan<byte> source, ref int position, out int value)
    {
        ulong raw = 0;
        var shift = 0;
        var pos = position;
        while (true)
        {
            if ((uint)pos >= (uint)source.Length || shift > 28)
            {
                value = 0;
                return false;
            }

            var b = source[pos++];
            raw |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                break;
            }

            shift += 7;
        }

        if (raw > uint.MaxValue)
        {
            value = 0;
            return false;
        }

        position = pos;
        var u = (uint)raw;
        value = (int)(u >> 1) ^ -(int)(u & 1);
        return true;
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
