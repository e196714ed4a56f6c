namespace Orleans.Kafka.Storage.Tests.Compression;

internal static class TestData
{
    /// <summary>Random bytes, or text-like records that compress well (as real batches do).</summary>
    public static byte[] Make(int size, bool compressible, int seed)
    {
        var random = new Random(seed);
        var data = new byte[size];
        if (!compressible)
        {
            random.NextBytes(data);
            return data;
        }

        ReadOnlySpan<byte> words = "key value order customer amount currency timestamp {\"id\":,}"u8;
        for (var i = 0; i < size; i++)
        {
            data[i] = random.Next(8) == 0 ? (byte)random.Next(48, 58) : words[(i * 7 + (i / 64)) % words.Length];
        }

        return data;
    }
}
