using System.Buffers;

namespace Orleans.Kafka.Gateway.Connections;

/// <summary>What <see cref="FrameReader.TryReadFrame"/> found at the start of the buffer.</summary>
internal enum FrameStatus
{
    /// <summary>Not yet a whole frame: read more.</summary>
    Incomplete,

    /// <summary>A whole frame was sliced off the buffer.</summary>
    Complete,

    /// <summary>The length prefix is negative or above the limit: the connection must close.</summary>
    Invalid,
}

/// <summary>
/// Kafka's framing: every request is an int32 big-endian size followed by that many bytes.
/// Slices frames out of the pipe's buffer without copying.
/// </summary>
internal static class FrameReader
{
    public const int LengthPrefixSize = 4;

    /// <summary>
    /// Slices the next frame (without its length prefix) off the front of <paramref name="buffer"/>.
    /// On <see cref="FrameStatus.Invalid"/>, <paramref name="declaredLength"/> holds the offending size.
    /// </summary>
    public static FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxFrameBytes, out ReadOnlySequence<byte> frame, out int declaredLength)
    {
        frame = default;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadBigEndian(out declaredLength))
        {
            return FrameStatus.Incomplete;
        }

        // Kafka rejects sizes below zero and above socket.request.max.bytes before buffering anything.
        if (declaredLength < 0 || declaredLength > maxFrameBytes)
        {
            return FrameStatus.Invalid;
        }

        if (reader.Remaining < declaredLength)
        {
            return FrameStatus.Incomplete;
        }

        frame = buffer.Slice(reader.Position, declaredLength);
        buffer = buffer.Slice(frame.End);
        return FrameStatus.Complete;
    }
}
