using System.Buffers.Binary;

namespace Orleans.Kafka.Storage.Records;

/// <summary>Control record types (the key's type field). Kafka's ControlRecordType ids.</summary>
public enum ControlRecordType : short
{
    Abort = 0,
    Commit = 1,
}

/// <summary>
/// The transaction marker carried by a control batch: key (version int16, type int16) and value
/// (version int16, coordinatorEpoch int32).
/// </summary>
public readonly record struct ControlRecord(ControlRecordType Type, int CoordinatorEpoch)
{
    public const int KeySize = 4;
    public const int ValueSize = 6;

    /// <summary>Reads the marker from the first record of a control batch; false if it is not one.</summary>
    public static bool TryRead(in Record record, out ControlRecord marker)
    {
        marker = default;
        if (record.KeyIsNull || record.Key.Length < KeySize)
        {
            return false;
        }

        var type = BinaryPrimitives.ReadInt16BigEndian(record.Key[2..]);
        if (type is not ((short)ControlRecordType.Abort or (short)ControlRecordType.Commit))
        {
            return false;
        }

        var epoch = !record.ValueIsNull && record.Value.Length >= ValueSize ? BinaryPrimitives.ReadInt32BigEndian(record.Value[2..]) : -1;
        marker = new ControlRecord((ControlRecordType)type, epoch);
        return true;
    }

    public byte[] EncodeKey()
    {
        var key = new byte[KeySize];
        BinaryPrimitives.WriteInt16BigEndian(key, 0);
        BinaryPrimitives.WriteInt16BigEndian(key.AsSpan(2), (short)Type);
        return key;
    }

    public byte[] EncodeValue()
    {
        var value = new byte[ValueSize];
        BinaryPrimitives.WriteInt16BigEndian(value, 0);
        BinaryPrimitives.WriteInt32BigEndian(value.AsSpan(2), CoordinatorEpoch);
        return value;
    }
}
