using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// A sorted, sparse index file of fixed-size entries (key → value), kept in memory for lookups
/// and written positionally. Like Kafka's, the file is preallocated to its maximum size while
/// the segment is active (so it may end in zeros after a crash) and trimmed when the segment is
/// rolled or closed. One writer; lookups may run concurrently with appends: entries are written
/// before the count that publishes them.
/// </summary>
internal abstract class SparseIndex : IDisposable
{
    private readonly SafeFileHandle _file;
    private long[] _keys;
    private long[] _values;
    private int _count;

    protected SparseIndex(string path, long baseOffset, int maxIndexBytes, SafeFileHandle file)
    {
        Path = path;
        BaseOffset = baseOffset;
        MaxEntries = Math.Max(maxIndexBytes / EntrySizeOf(this), 2);
        _file = file;
        _keys = new long[16];
        _values = new long[16];
    }

    public string Path { get; }

    public long BaseOffset { get; }

    public int MaxEntries { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>True when no further entry fits; one slot stays free for the roll-time entry.</summary>
    public bool IsFull => Count >= MaxEntries - 1;

    protected abstract int EntrySize { get; }

    public long LastKey => Count == 0 ? long.MinValue : Volatile.Read(ref _keys)[Count - 1];

    public long LastValue => Count == 0 ? -1 : Volatile.Read(ref _values)[Count - 1];

    public void Append(long key, long value)
    {
        var count = _count;
        if (count >= MaxEntries)
        {
            throw new InvalidOperationException($"Index {Path} is full.");
        }

        Span<byte> entry = stackalloc byte[EntrySize];
        Encode(entry, key, value);
        RandomAccess.Write(_file, entry, (long)count * EntrySize);
        if (count == _keys.Length)
        {
            var keys = new long[count * 2];
            var values = new long[count * 2];
            _keys.AsSpan().CopyTo(keys);
            _values.AsSpan().CopyTo(values);
            Volatile.Write(ref _keys, keys);
            Volatile.Write(ref _values, values);
        }

        _keys[count] = key;
        _values[count] = value;
        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>The entry with the largest key &lt;= <paramref name="key"/>; false if every key is larger.</summary>
    public bool TryFloor(long key, out long foundKey, out long value)
    {
        var count = Count;
        var keys = Volatile.Read(ref _keys);
        var values = Volatile.Read(ref _values);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (keys[mid] <= key)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        if (found < 0)
        {
            foundKey = 0;
            value = 0;
            return false;
        }

        foundKey = keys[found];
        value = values[found];
        return true;
    }

    /// <summary>Drops entries whose value (offset index) or key decides they lie at/after a cut.</summary>
    public void TruncateWhere(Func<long, long, bool> removeFrom)
    {
        var count = _count;
        var keep = 0;
        while (keep < count && !removeFrom(_keys[keep], _values[keep]))
        {
            keep++;
        }

        Volatile.Write(ref _count, keep);
        // Zero the dropped entries on disk so a crash cannot resurrect them.
        var zeros = new byte[(count - keep) * EntrySize];
        RandomAccess.Write(_file, zeros, (long)keep * EntrySize);
    }

    /// <summary>Extends the file to its maximum size (sparse) while the segment is active.</summary>
    public void Preallocate() => RandomAccess.SetLength(_file, (long)MaxEntries * EntrySize);

    /// <summary>Cuts the file to its entries (at roll and clean close).</summary>
    public void Trim() => RandomAccess.SetLength(_file, (long)Count * EntrySize);

    public void Flush() => RandomAccess.FlushToDisk(_file);

    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Reads entries from the file up to the first that breaks the order (a zero-filled
    /// preallocated tail or garbage). Returns false when such an entry was met before the end of
    /// the file's meaningful part, i.e. the index may be inconsistent.
    /// </summary>
    protected bool LoadEntries()
    {
        var length = RandomAccess.GetLength(_file);
        var maxBytes = (long)MaxEntries * EntrySize;
        if (length > maxBytes || length % EntrySize != 0)
        {
            return false;
        }

        var bytes = new byte[length];
        var read = 0;
        while (read < bytes.Length)
        {
            var n = RandomAccess.Read(_file, bytes.AsSpan(read), read);
            if (n == 0)
            {
                break;
            }

            read += n;
        }

        var total = read / EntrySize;
        _keys = new long[Math.Max(16, total)];
        _values = new long[Math.Max(16, total)];
        var count = 0;
        for (; count < total; count++)
        {
            if (!Decode(bytes.AsSpan(count * EntrySize, EntrySize), out var key, out var value)
                || (count > 0 && !InOrder(_keys[count - 1], _values[count - 1], key, value)))
            {
                break;
            }

            _keys[count] = key;
            _values[count] = value;
        }

        _count = count;
        // The rest must be zeros (preallocated, never written); anything else means garbage.
        for (var i = count * EntrySize; i < read; i++)
        {
            if (bytes[i] != 0)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decodes an entry; false for an all-zero (never written) or invalid one.</summary>
    protected abstract bool Decode(ReadOnlySpan<byte> entry, out long key, out long value);

    protected abstract void Encode(Span<byte> entry, long key, long value);

    protected abstract bool InOrder(long previousKey, long previousValue, long key, long value);

    private static int EntrySizeOf(SparseIndex index) => index is OffsetIndex ? OffsetIndex.EntryBytes : TimeIndex.EntryBytes;

    protected static SafeFileHandle OpenFile(string path, bool create) =>
        File.OpenHandle(path, create ? FileMode.Create : FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
}

/// <summary>
/// Offset index: key = absolute base offset of a batch, value = its byte position in the
/// segment. Stored as (offset - segment base: int32, position: int32), big-endian like Kafka.
/// No entry is kept for position 0: a lookup that finds nothing starts at the segment's start.
/// </summary>
internal sealed class OffsetIndex : SparseIndex
{
    public const int EntryBytes = 8;

    private OffsetIndex(string path, long baseOffset, int maxIndexBytes, SafeFileHandle file)
        : base(path, baseOffset, maxIndexBytes, file)
    {
    }

    protected override int EntrySize => EntryBytes;

    public static OffsetIndex Create(string path, long baseOffset, int maxIndexBytes) =>
        new(path, baseOffset, maxIndexBytes, OpenFile(path, create: true));

    /// <summary>Opens an existing index; <paramref name="consistent"/> is false when it must be rebuilt.</summary>
    public static OffsetIndex Open(string path, long baseOffset, int maxIndexBytes, out bool consistent)
    {
        var exists = File.Exists(path);
        var index = new OffsetIndex(path, baseOffset, maxIndexBytes, OpenFile(path, create: false));
        consistent = exists && index.LoadEntries();
        return index;
    }

    /// <summary>Start position for a scan to <paramref name="offset"/>: the last indexed batch at or before it.</summary>
    public long LookupPosition(long offset) => TryFloor(offset, out _, out var position) ? position : 0;

    protected override bool Decode(ReadOnlySpan<byte> entry, out long key, out long value)
    {
        var relative = BinaryPrimitives.ReadInt32BigEndian(entry);
        var position = BinaryPrimitives.ReadInt32BigEndian(entry[4..]);
        key = BaseOffset + relative;
        value = position;
        return relative >= 0 && position > 0;
    }

    protected override void Encode(Span<byte> entry, long key, long value)
    {
        BinaryPrimitives.WriteInt32BigEndian(entry, checked((int)(key - BaseOffset)));
        BinaryPrimitives.WriteInt32BigEndian(entry[4..], checked((int)value));
    }

    protected override bool InOrder(long previousKey, long previousValue, long key, long value) =>
        key > previousKey && value > previousValue;
}

/// <summary>
/// Time index: key = the segment's max timestamp so far, value = absolute base offset of the
/// batch that holds it. Stored as (timestamp: int64, offset - segment base: int32). Keys strictly
/// increase, so a lookup for T finds the point before which no record has a timestamp &gt;= T.
/// </summary>
internal sealed class TimeIndex : SparseIndex
{
    public const int EntryBytes = 12;

    private TimeIndex(string path, long baseOffset, int maxIndexBytes, SafeFileHandle file)
        : base(path, baseOffset, maxIndexBytes, file)
    {
    }

    protected override int EntrySize => EntryBytes;

    public static TimeIndex Create(string path, long baseOffset, int maxIndexBytes) =>
        new(path, baseOffset, maxIndexBytes, OpenFile(path, create: true));

    public static TimeIndex Open(string path, long baseOffset, int maxIndexBytes, out bool consistent)
    {
        var exists = File.Exists(path);
        var index = new TimeIndex(path, baseOffset, maxIndexBytes, OpenFile(path, create: false));
        consistent = exists && index.LoadEntries();
        return index;
    }

    /// <summary>
    /// Reads only the last entry of a trimmed index file: the segment's max timestamp, written at
    /// roll/close. Lets a clean open skip loading closed segments' indexes.
    /// </summary>
    public static bool TryReadLastEntry(string path, long baseOffset, out long timestamp, out long offset)
    {
        timestamp = -1;
        offset = baseOffset;
        if (!File.Exists(path))
        {
            return false;
        }

        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var length = RandomAccess.GetLength(file);
        if (length < EntryBytes || length % EntryBytes != 0)
        {
            return length == 0;
        }

        Span<byte> entry = stackalloc byte[EntryBytes];
        if (RandomAccess.Read(file, entry, length - EntryBytes) != EntryBytes)
        {
            return false;
        }

        timestamp = BinaryPrimitives.ReadInt64BigEndian(entry);
        offset = baseOffset + BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
        return true;
    }

    protected override bool Decode(ReadOnlySpan<byte> entry, out long key, out long value)
    {
        key = BinaryPrimitives.ReadInt64BigEndian(entry);
        var relative = BinaryPrimitives.ReadInt32BigEndian(entry[8..]);
        value = BaseOffset + relative;
        return relative >= 0 && !(key == 0 && relative == 0);
    }

    protected override void Encode(Span<byte> entry, long key, long value)
    {
        BinaryPrimitives.WriteInt64BigEndian(entry, key);
        BinaryPrimitives.WriteInt32BigEndian(entry[8..], checked((int)(value - BaseOffset)));
    }

    protected override bool InOrder(long previousKey, long previousValue, long key, long value) =>
        key > previousKey && value >= previousValue;
}
