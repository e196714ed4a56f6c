namespace Orleans.Kafka.Perf;

/// <summary>The record value every perf record carries.</summary>
internal static class Payload
{
    /// <summary>
    /// Random upper-case letters, as Kafka's producer perf test uses: compressible roughly like
    /// text, so compression settings behave as they would on real payloads rather than on zeros.
    /// </summary>
    public static byte[] Create(int size, int seed = 42)
    {
        var random = new Random(seed);
        var bytes = new byte[size];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)('A' + random.Next(26));
        }

        return bytes;
    }
}
