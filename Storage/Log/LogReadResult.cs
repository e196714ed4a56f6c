using System.Buffers;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// Whole stored batches copied into a pooled buffer, as a fetch returns them. Dispose returns
/// the buffer; <see cref="Records"/> is invalid afterwards.
/// </summary>
public sealed class LogReadResult : IDisposable
{
    private byte[]? _buffer;

    internal LogReadResult(byte[]? buffer, int length, int batchCount, long firstOffset, long nextOffset, long logStartOffset, long logEndOffset)
    {
        _buffer = buffer;
        Length = length;
        BatchCount = batchCount;
        FirstOffset = firstOffset;
        NextOffset = nextOffset;
        LogStartOffset = logStartOffset;
        LogEndOffset = logEndOffset;
    }

    /// <summary>The batches, byte-identical to what the log stores.</summary>
    public ReadOnlyMemory<byte> Records => _buffer is null ? ReadOnlyMemory<byte>.Empty : _buffer.AsMemory(0, Length);

    public int Length { get; }

    public int BatchCount { get; }

    /// <summary>Base offset of the first batch returned (may be below the requested offset); -1 when empty.</summary>
    public long FirstOffset { get; }

    /// <summary>Offset after the last batch returned; the requested offset when empty.</summary>
    public long NextOffset { get; }

    public long LogStartOffset { get; }

    public long LogEndOffset { get; }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
