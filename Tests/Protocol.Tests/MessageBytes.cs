using System.Buffers;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>Writes and reads whole messages to and from byte arrays.</summary>
internal static class MessageBytes
{
    public static byte[] Write(IKafkaMessage message, short version)
    {
        var buffer = new ArrayBufferWriter<byte>();
        message.Write(new KafkaWriter(buffer), version);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a message and returns how many bytes it consumed.</summary>
    public static int Read(IKafkaMessage message, ReadOnlyMemory<byte> bytes, short version)
    {
        var reader = new KafkaReader(bytes);
        message.Read(ref reader, version);
        return reader.Position;
    }

    public static T Read<T>(ReadOnlyMemory<byte> bytes, short version, out int consumed)
        where T : IKafkaMessage, new()
    {
        var message = new T();
        consumed = Read(message, bytes, version);
        return message;
    }

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
