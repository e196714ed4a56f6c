using System.Buffers.Binary;
using System.Text;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// Reads the topic list from a "consumer" protocol member's metadata (ConsumerProtocolSubscription: int16 version, then an
/// int32-counted array of int16-length topic names in every version 0-3). OffsetDelete needs it to refuse deleting offsets
/// of topics the group still consumes.
/// </summary>
internal static class ConsumerSubscription
{
    /// <summary>The subscribed topics, or null when the bytes are not a subscription this reader understands.</summary>
    public static IReadOnlyList<string>? TryReadTopics(ReadOnlySpan<byte> metadata)
    {
        if (metadata.Length < 6)
        {
            return null;
        }

        var version = BinaryPrimitives.ReadInt16BigEndian(metadata);
        var count = BinaryPrimitives.ReadInt32BigEndian(metadata[2..]);
        if (version < 0 || count < 0 || count > metadata.Length)
        {
            return null;
        }

        var topics = new List<string>(count);
        var position = 6;
        for (var i = 0; i < count; i++)
        {
            if (position + 2 > metadata.Length)
            {
                return null;
            }

            var length = BinaryPrimitives.ReadInt16BigEndian(metadata[position..]);
            position += 2;
            if (length < 0 || position + length > metadata.Length)
            {
                return null;
            }

            topics.Add(Encoding.UTF8.GetString(metadata.Slice(position, length)));
            position += length;
        }

        return topics;
    }
}
