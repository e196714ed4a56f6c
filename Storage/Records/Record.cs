namespace Orleans.Kafka.Storage.Records;

/// <summary>
/// One record of a batch, as views over the batch (or decompressed) bytes: valid only while
/// those bytes are. A null key or value (length -1) is told apart from an empty one by
/// <see cref="KeyIsNull"/> / <see cref="ValueIsNull"/>.
/// </summary>
public readonly ref struct Record
{
    internal Record(sbyte attributes, long timestampDelta, int offsetDelta, ReadOnlySpan<byte> key, bool keyIsNull, ReadOnlySpan<byte> value, bool valueIsNull, int headerCount, ReadOnlySpan<byte> headers)
    {
        Attributes = attributes;
        TimestampDelta = timestampDelta;
        OffsetDelta = offsetDelta;
        Key = key;
        KeyIsNull = keyIsNull;
        Value = value;
        ValueIsNull = valueIsNull;
        HeaderCount = headerCount;
        HeaderBytes = headers;
    }

    public sbyte Attributes { get; }

    public long TimestampDelta { get; }

    public int OffsetDelta { get; }

    public ReadOnlySpan<byte> Key { get; }

    public bool KeyIsNull { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool ValueIsNull { get; }

    public int HeaderCount { get; }

    /// <summary>The encoded header section (after the count).</summary>
    internal ReadOnlySpan<byte> HeaderBytes { get; }

    public RecordHeaderEnumerator Headers => new(HeaderBytes, HeaderCount);
}

/// <summary>One record header: a UTF-8 key and a nullable value.</summary>
public readonly ref struct RecordHeader
{
    internal RecordHeader(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool valueIsNull)
    {
        Key = key;
        Value = value;
        ValueIsNull = valueIsNull;
    }

    /// <summary>UTF-8 bytes of the header name.</summary>
    public ReadOnlySpan<byte> Key { get; }

    public ReadOnlySpan<byte> Value { get; }

    public bool ValueIsNull { get; }
}

/// <summary>Decodes a record's headers lazily.</summary>
/// <exception cref="InvalidDataException">From <see cref="MoveNext"/> when a header is malformed.</exception>
public ref struct RecordHeaderEnumerator
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _count;
    private int _position;
    private int _index;

    internal RecordHeaderEnumerator(ReadOnlySpan<byte> bytes, int count)
    {
        _bytes = bytes;
        _count = count;
        _position = 0;
        _index = 0;
        Current = default;
    }

    public RecordHeader Current { get; private set; }

    public readonly RecordHeaderEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        var pos = _position;
        if (!Varint.TryReadVarInt(_bytes, ref pos, out var keyLength) || keyLength < 0 || keyLength > _bytes.Length - pos)
        {
            throw new InvalidDataException($"Record header {_index} has a bad key length.");
        }

        var key = _bytes.Slice(pos, keyLength);
        pos += keyLength;
        if (!Varint.TryReadVarInt(_bytes, ref pos, out var valueLength) || valueLength < -1 || valueLength > _bytes.Length - pos)
        {
            throw new InvalidDataException($"Record header {_index} has a bad value length.");
        }

        var value = valueLength < 0 ? default : _bytes.Slice(pos, valueLength);
        pos += Math.Max(valueLength, 0);
        Current = new RecordHeader(key, value, valueLength < 0);
        _position = pos;
        _index++;
        return true;
    }
}
