using Microsoft.Win32.SafeHandles;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// Reads the whole batches of a closed segment file in order, through one buffer that grows
/// only for a batch larger than it. Each batch is validated (magic, length, CRC): the cleaner
/// must never rewrite bytes it cannot trust. A batch's bytes are valid until the next call.
/// </summary>
internal sealed class SegmentBatchReader : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly string _path;
    private readonly long _end;
    private byte[] _buffer;
    private long _bufferStart;
    private int _bufferLength;
    private long _position;

    /// <param name="path">The segment's .log file.</param>
    /// <param name="size">The segment's size as the log published it; bytes past it are ignored.</param>
    public SegmentBatchReader(string path, long size, int bufferBytes)
    {
        // Shares delete: retention may remove the file meanwhile; the open handle still reads it.
        _path = path;
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        _end = Math.Min(size, RandomAccess.GetLength(_file));
        _buffer = new byte[bufferBytes];
    }

    /// <summary>True once every batch was read.</summary>
    public bool AtEnd => _position >= _end;

    /// <summary>The next batch, or false at the end of the segment.</summary>
    /// <exception cref="InvalidDataException">A batch is torn or fails its CRC.</exception>
    public bool TryRead(out RecordBatchHeader header, out ReadOnlyMemory<byte> batch)
    {
        header = default;
        batch = default;
        if (_position >= _end)
        {
            return false;
        }

        if (!Ensure(RecordBatchHeader.LogOverhead)
            || !RecordBatch.TryPeekSize(Available, out var size) || size < RecordBatchHeader.Size || size > _end - _position)
        {
            throw new InvalidDataException($"Segment {_path} has a torn batch at position {_position}.");
        }

        if (!Ensure(size))
        {
            throw new InvalidDataException($"Segment {_path} ends inside a batch at position {_position}.");
        }

        var offset = (int)(_position - _bufferStart);
        var bytes = _buffer.AsMemory(offset, size);
        if (RecordBatch.Validate(bytes.Span, out header, out var reason) != BatchError.None)
        {
            throw new InvalidDataException($"Segment {_path} holds a bad batch at position {_position}: {reason}");
        }

        batch = bytes;
        _position += size;
        return true;
    }

    private ReadOnlySpan<byte> Available => _buffer.AsSpan((int)(_position - _bufferStart), _bufferLength - (int)(_position - _bufferStart));

    /// <summary>Makes at least <paramref name="count"/> bytes from the current position sit in the buffer.</summary>
    private bool Ensure(int count)
    {
        var inBuffer = _bufferLength - (int)(_position - _bufferStart);
        if (inBuffer >= count)
        {
            return true;
        }

        if (count > _buffer.Length)
        {
            _buffer = new byte[count];
        }

        _bufferStart = _position;
        var want = (int)Math.Min(_buffer.Length, _end - _position);
        var total = 0;
        while (total < want)
        {
            var n = RandomAccess.Read(_file, _buffer.AsSpan(total, want - total), _position + total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        _bufferLength = total;
        return total >= count;
    }

    public void Dispose() => _file.Dispose();
}
