namespace Orleans.Kafka.Storage.Records;

/// <summary>
/// Iterates the records section of a batch (uncompressed bytes) without allocating. Each record
/// is length-prefixed; its fields must fit inside that length.
/// </summary>
/// <exception cref="InvalidDataException">From <see cref="MoveNext"/> when a record is malformed.</exception>
public ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly int _count;
    private int _position;
    private int _index;

    public RecordReader(ReadOnlySpan<byte> records, int count)
    {
        _bytes = records;
        _count = count;
        _position = 0;
        _index = 0;
        Current = default;
    }

    public Record Current { get; private set; }

    /// <summary>True once every record was read and no byte is left over.</summary>
    public readonly bool AtEnd => _index >= _count && _position == _bytes.Length;

    public readonly RecordReader GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_index >= _count)
        {
            return false;
        }

        var pos = _position;
        if (!Varint.TryReadVarInt(_bytes, ref pos, out var length) || length < 0 || length > _bytes.Length - pos)
        {
            throw new InvalidDataException($"Record {_index} has a bad length or is truncated.");
        }

        var record = _bytes.Slice(pos, length);
        _position = pos + length;
        Current = Parse(record, _index);
        _index++;
        return true;
    }

    private static Record Parse(ReadOnlySpan<byte> record, int index)
    {
        if (record.Length < 1)
        {
            throw new InvalidDataException($"Record {index} is empty.");
        }

        var attributes = (sbyte)record[0];
        var pos = 1;
        if (!Varint.TryReadVarLong(record, ref pos, out var timestampDelta)
            || !Varint.TryReadVarInt(record, ref pos, out var offsetDelta))
        {
            throw new InvalidDataException($"Record {index} has a bad timestamp or offset delta.");
        }

        if (!Varint.TryReadVarInt(record, ref pos, out var keyLength) || keyLength < -1 || keyLength > record.Length - pos)
        {
            throw new InvalidDataException($"Record {index} has a bad key length.");
        }

        var key = keyLength < 0 ? default : record.Slice(pos, keyLength);
        pos += Math.Max(keyLength, 0);
        if (!Varint.TryReadVarInt(record, ref pos, out var valueLength) || valueLength < -1 || valueLength > record.Length - pos)
        {
            throw new InvalidDataException($"Record {index} has a bad value length.");
        }

        var value = valueLength < 0 ? default : record.Slice(pos, valueLength);
        pos += Math.Max(valueLength, 0);
        if (!Varint.TryReadVarInt(record, ref pos, out var headerCount) || headerCount < 0 || headerCount > record.Length - pos)
        {
            throw new InvalidDataException($"Record {index} has a bad header count.");
        }

        var headers = record[pos..];
        if (headerCount == 0 && headers.Length != 0)
        {
            throw new InvalidDataException($"Record {index} has {headers.Length} bytes past its fields.");
        }

        return new Record(attributes, timestampDelta, offsetDelta, key, keyLength < 0, value, valueLength < 0, headerCount, headers);
    }
}
