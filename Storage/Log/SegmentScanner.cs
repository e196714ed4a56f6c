using System.Buffers;
using Microsoft.Win32.SafeHandles;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// Walks the batches of a segment file with chunked positional reads (one syscall per chunk,
/// not per batch). With <c>verify</c> it reads whole batches and checks magic, CRC and that
/// offsets increase: the recovery scan. Stops at the first batch that fails.
/// </summary>
internal static class SegmentScanner
{
    /// <summary>Recovery reads whole batches: large chunks amortise the syscalls.</summary>
    private const int VerifyChunkSize = 1024 * 1024;

    /// <summary>
    /// Lookups read only headers, and the target is usually within one index interval (4 KiB) of
    /// the start: a small chunk keeps a fetch from reading far past what it returns.
    /// </summary>
    private const int HeaderChunkSize = 16 * 1024;

    /// <summary>Called per good batch with its header and file position; return false to stop.</summary>
    public delegate bool Visitor(in RecordBatchHeader header, long position);

    /// <summary>
    /// Scans [<paramref name="from"/>, <paramref name="end"/>) and returns the position after the
    /// last good batch visited (== <paramref name="end"/> when all are good and none stopped).
    /// </summary>
    public static long Scan(SafeFileHandle file, long from, long end, bool verify, long minBaseOffset, Visitor visit)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(verify ? VerifyChunkSize : HeaderChunkSize);
        try
        {
            long bufferStart = from;
            var bufferLength = 0;
            var pos = from;
            var nextExpected = minBaseOffset;
            while (pos < end)
            {
                var remaining = end - pos;
                if (remaining < RecordBatchHeader.Size)
                {
                    return pos;
                }

                var inBuffer = (int)(pos - bufferStart);
                if (bufferLength - inBuffer < RecordBatchHeader.Size)
                {
                    bufferStart = pos;
                    inBuffer = 0;
                    bufferLength = Fill(file, buffer, pos, (int)Math.Min(buffer.Length, remaining));
                    if (bufferLength < RecordBatchHeader.Size)
                    {
                        return pos;
                    }
                }

                if (!RecordBatch.TryPeekSize(buffer.AsSpan(inBuffer, bufferLength - inBuffer), out var size)
                    || size < RecordBatchHeader.Size || size > remaining)
                {
                    return pos;
                }

                var needed = verify ? size : RecordBatchHeader.Size;
                if (bufferLength - inBuffer < needed)
                {
                    if (needed > buffer.Length)
                    {
                        ArrayPool<byte>.Shared.Return(buffer);
                        buffer = ArrayPool<byte>.Shared.Rent(needed);
                    }

                    bufferStart = pos;
                    inBuffer = 0;
                    bufferLength = Fill(file, buffer, pos, (int)Math.Min(buffer.Length, remaining));
                    if (bufferLength < needed)
                    {
                        return pos;
                    }
                }

                var span = buffer.AsSpan(inBuffer, needed);
                RecordBatchHeader header;
                if (verify)
                {
                    if (RecordBatch.Validate(span, out header, out _) == BatchError.Corrupt)
                    {
                        return pos;
                    }
                }
                else
                {
                    RecordBatchHeader.TryRead(span, out header);
                    if (header.Magic != RecordBatchHeader.CurrentMagic)
                    {
                        return pos;
                    }
                }

                if (verify && (header.BaseOffset < nextExpected || header.LastOffsetDelta < 0))
                {
                    return pos;
                }

                nextExpected = header.NextOffset;
                if (!visit(header, pos))
                {
                    return pos;
                }

                pos += size;
            }

            return pos;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Reads until <paramref name="count"/> bytes or end of file.</summary>
    public static int Fill(SafeFileHandle file, byte[] buffer, long position, int count) =>
        Fill(file, buffer.AsSpan(0, count), position);

    public static int Fill(SafeFileHandle file, Span<byte> destination, long position)
    {
        var total = 0;
        while (total < destination.Length)
        {
            var n = RandomAccess.Read(file, destination[total..], position + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }
}
