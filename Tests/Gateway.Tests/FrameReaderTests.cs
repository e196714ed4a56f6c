using System.Buffers;
using Orleans.Kafka.Gateway.Connections;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>Slicing frames out of a pipe's (possibly multi-segment) buffer.</summary>
public sealed class FrameReaderTests
{
    [Fact]
    public void Frames_split_across_segments_are_sliced_whole_and_the_rest_is_kept()
    {
        // Two frames (3 and 2 bytes) and the first byte of a third prefix, cut into awkward segments.
        byte[] bytes = [0, 0, 0, 3, 10, 11, 12, 0, 0, 0, 2, 20, 21, 0];
        var buffer = Segmented(bytes, 1, 2, 5, 3, 3);

        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, 100, out var first, out _));
        Assert.Equal([10, 11, 12], first.ToArray());
        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, 100, out var second, out _));
        Assert.Equal([20, 21], second.ToArray());
        Assert.Equal(FrameStatus.Incomplete, FrameReader.TryReadFrame(ref buffer, 100, out _, out _));
        Assert.Equal(1, buffer.Length);
    }

    [Fact]
    public void A_frame_whose_body_has_not_fully_arrived_is_incomplete()
    {
        var buffer = new ReadOnlySequence<byte>([0, 0, 0, 5, 1, 2]);
        Assert.Equal(FrameStatus.Incomplete, FrameReader.TryReadFrame(ref buffer, 100, out _, out _));
        Assert.Equal(6, buffer.Length);
    }

    [Theory]
    [InlineData(101)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void Sizes_above_the_limit_or_negative_are_invalid_before_the_body_arrives(int size)
    {
        var prefix = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(prefix, size);
        var buffer = new ReadOnlySequence<byte>(prefix);

        Assert.Equal(FrameStatus.Invalid, FrameReader.TryReadFrame(ref buffer, 100, out _, out var declared));
        Assert.Equal(size, declared);
    }

    [Fact]
    public void An_empty_frame_is_complete()
    {
        var buffer = new ReadOnlySequence<byte>([0, 0, 0, 0]);
        Assert.Equal(FrameStatus.Complete, FrameReader.TryReadFrame(ref buffer, 100, out var frame, out _));
        Assert.True(frame.IsEmpty);
        Assert.True(buffer.IsEmpty);
    }

    private static ReadOnlySequence<byte> Segmented(byte[] bytes, params int[] sizes)
    {
        Segment? first = null, last = null;
        var offset = 0;
        foreach (var size in sizes)
        {
            var segment = new Segment(bytes.AsMemory(offset, size), last);
            first ??= segment;
            last = segment;
            offset += size;
        }

        return new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
