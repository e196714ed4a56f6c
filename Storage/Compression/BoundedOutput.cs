using System.Buffers;

namespace Orleans.Kafka.Storage.Compression;

/// <summary>
/// Writes decompressed bytes to the caller's buffer writer, counting them and failing before the
/// total passes the limit.
/// </summary>
internal sealed class BoundedOutput(IBufferWriter<byte> output, int limit)
{
    private const int ChunkSize = 64 * 1024;

    public long Written { get; private set; }

    public int Remaining => (int)(limit - Written);

    public void Write(ReadOnlySpan<byte> data)
    {
        EnsureRoom(data.Length);
        data.CopyTo(output.GetSpan(data.Length));
        output.Advance(data.Length);
        Written += data.Length;
    }

    /// <summary>Gives a span of exactly <paramref name="length"/> bytes to fill, then call <see cref="Advance"/>.</summary>
    public Span<byte> GetSpan(int length)
    {
        EnsureRoom(length);
        return output.GetSpan(length)[..length];
    }

    public void Advance(int count)
    {
        EnsureRoom(count);
        output.Advance(count);
        Written += count;
    }

    /// <summary>Reads <paramref name="source"/> to its end, straight into the output.</summary>
    public void CopyFrom(Stream source) => CopyFrom(source, hash: null);

    /// <summary>Reads <paramref name="source"/> to its end into the output, hashing what it writes.</summary>
    public void CopyFrom(Stream source, System.IO.Hashing.NonCryptographicHashAlgorithm? hash)
    {
        while (true)
        {
            // Read at most one byte past the limit so an over-long stream is detected without
            // inflating more than a chunk beyond it.
            var want = (int)Math.Min(ChunkSize, limit - Written + 1);
            var span = output.GetSpan(want)[..want];
            var read = source.Read(span);
            if (read == 0)
            {
                return;
            }

            Advance(read);
            hash?.Append(span[..read]);
        }
    }

    private void EnsureRoom(int length)
    {
        if (Written + length > limit)
        {
            throw new InvalidDataException(
                $"Decompressed data exceeds the limit of {limit} bytes.");
        }
    }
}
