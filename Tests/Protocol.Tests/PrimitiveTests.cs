using System.Buffers;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>The hand-written primitives against encodings worked out from Kafka's protocol guide.</summary>
public sealed class PrimitiveTests
{
    private static byte[] Write(Action<KafkaWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new KafkaWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(-64, new byte[] { 0x7F })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(int.MaxValue, new byte[] { 0xFE, 0xFF, 0xFF, 0xFF, 0x0F })]
    [InlineData(int.MinValue, new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x0F })]
    public void VarInt_uses_zig_zag_encoding(int value, byte[] encoded)
    {
        Assert.Equal(encoded, Write(w => w.WriteVarInt(value)));
        var reader = new KafkaReader(encoded);
        Assert.Equal(value, reader.ReadVarInt());
        Assert.Equal(0, reader.Remaining);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData(300L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void VarLong_round_trips(long value)
    {
        var bytes = Write(w => w.WriteVarLong(value));
        var reader = new KafkaReader(bytes);
        Assert.Equal(value, reader.ReadVarLong());
        Assert.Equal(bytes.Length, reader.Position);
    }

    [Fact]
    public void UnsignedVarInt_longer_than_five_bytes_is_rejected()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }).ReadUnsignedVarInt());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0x1F }).ReadUnsignedVarInt());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x80, 0x80 }).ReadUnsignedVarInt());
    }

    [Fact]
    public void Uuid_is_written_most_significant_byte_first()
    {
        var id = new Guid("00112233-4455-6677-8899-aabbccddeeff");
        byte[] expected = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0xFF];
        Assert.Equal(expected, Write(w => w.WriteUuid(id)));
        Assert.Equal(id, new KafkaReader(expected).ReadUuid());
    }

    [Fact]
    public void Strings_encode_utf8_length_in_classic_and_compact_forms()
    {
        Assert.Equal([0x00, 0x03, 0x61, 0xC3, 0xA9], Write(w => w.WriteString("aé")));
        Assert.Equal([0x04, 0x61, 0xC3, 0xA9], Write(w => w.WriteCompactString("aé")));
        Assert.Equal([0xFF, 0xFF], Write(w => w.WriteNullableString(null)));
        Assert.Equal([0x00], Write(w => w.WriteCompactNullableString(null)));
        Assert.Equal(3, KafkaWriter.Utf8Length("aé"));

        var reader = new KafkaReader(new byte[] { 0x04, 0x61, 0xC3, 0xA9, 0x00 });
        Assert.Equal("aé", reader.ReadCompactString());
        Assert.Null(reader.ReadCompactNullableString());
    }

    [Fact]
    public void Non_nullable_reads_reject_null()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0xFF, 0xFF }).ReadString());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x00 }).ReadCompactBytes());
        Assert.Throws<KafkaProtocolException>(() => Write(w => w.WriteString(null!)));
    }

    [Fact]
    public void Classic_string_longer_than_int16_is_rejected()
    {
        Assert.Throws<KafkaProtocolException>(() => Write(w => w.WriteString(new string('x', short.MaxValue + 1))));
    }

    [Fact]
    public void Integers_are_big_endian()
    {
        Assert.Equal([0x12, 0x34], Write(w => w.WriteInt16(0x1234)));
        Assert.Equal([0x12, 0x34, 0x56, 0x78], Write(w => w.WriteInt32(0x12345678)));
        Assert.Equal([0xFF, 0xFE], Write(w => w.WriteUInt16(0xFFFE)));
        var reader = new KafkaReader(new byte[] { 0x3F, 0xF8, 0, 0, 0, 0, 0, 0 });
        Assert.Equal(1.5, reader.ReadFloat64());
    }

    [Fact]
    public void Reading_past_the_end_throws_protocol_exception()
    {
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x00 }).ReadInt16());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x00, 0x00, 0x00, 0x05, 0x01 }).ReadBytes());
        Assert.Throws<KafkaProtocolException>(() => new KafkaReader(new byte[] { 0x10, 0x01 }).ReadCompactRecords());
    }

    [Fact]
    public void BytesWritten_counts_output()
    {
        var writer = new KafkaWriter(new ArrayBufferWriter<byte>());
        writer.WriteInt32(1);
        writer.WriteCompactString("abc");
        Assert.Equal(8, writer.BytesWritten);
    }
}
