using System.Buffers.Binary;
using System.Numerics;

namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// CRC-32C (Castagnoli), the checksum Kafka uses. System.IO.Hashing has no CRC-32C;
/// <see cref="BitOperations.Crc32C(uint, ulong)"/> is the hardware instruction (SSE4.2 / ARMv8)
/// with a software fallback.
/// </summary>
internal static class Crc32C
{
    public static uint Compute(ReadOnlySpan<byte> data)
    {
        var crc = uint.MaxValue;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (var b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        return ~crc;
    }
}
