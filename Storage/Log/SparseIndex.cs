using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Orleans.Kafka.Storage.Log;

/// <summary>
/// A sorted, sparse index file of fixed-size entries (key → value). Like Kafka's, the file is
/// preallocated to its maximum size while the segment is active (so it may end in zeros after a
/// crash) and trimmed when the segment is sealed. The active segment keeps a byte-for-byte
/// mirror of its entries in memory for lookups; a sealed segment drops it and looks entries up
/// with positional reads (served by the page cache, as Kafka's mmap would be), so memory stays
/// bounded by one segment per partition. One writer; lookups may run concurrently with appends:
/// an entry is written (file, then mirror) before the count that publishes it.
/// </summary>
internal abstract class SparseIndex : IDisposable
{
    private readonly SafeFileHandle _file;
    private byte[]? _mirror;
    private int _count;

    protected SparseIndex(string path, long baseOffset, int maxIndexBytes, SafeFileHandle file, int entrySize)
    {
        Path = path;
        BaseOffset = baseOffset;
        EntrySize = entrySize;
        MaxEntries = Math.Max(maxIndexBytes / entrySize, 2);
        _file = file;
    }

    public string Path { get; }

    public long BaseOffset { get; }

    public int MaxEntries { get; }

    public int Count => Volatile.Read(ref _count);

    /// <summary>True when no further entry fits; one slot stays free for the roll-time entry.</summary>
    public bool IsFull => Count >= MaxEntries - 1;

    protected int EntrySize { get; }

    public long LastKey
    {
        get
        {
            var count = Count;
            if (count == 0)
            {
                return long.MinValue;
            }

            ReadEntry(count - 1, out var key, out _);
            return key;
        }
    }

    public long LastValue
    {
        get
        {
            var count = Count;
            if (count == 0)
            {
                return -1;
            }

            ReadEntry(count - 1, out _, out var value);
            return value;
        }
    }

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
        var mirror = _mirror;
        if (mirror is not null)
        {
            var end = (count + 1) * EntrySize;
            if (end > mirror.Length)
            {
                var larger = new byte[Math.Min(Math.Max(mirror.Length * 2, 64 * EntrySize), MaxEntries * EntrySize)];
                mirror.AsSpan(0, count * EntrySize).CopyTo(larger);
                Volatile.Write(ref _mirror, larger);
                mirror = larger;
            }

            entry.CopyTo(mirror.AsSpan(count * EntrySize));
        }

        Volatile.Write(ref _count, count + 1);
    }

    /// <summary>The entry with the largest key &lt;= <paramref name="key"/>; false if every key is larger.</summary>
    public bool TryFloor(long key, out long foundKey, out long value)
    {
        var count = Count;
        int lo = 0, hi = count - 1, found = -1;
        long bestKey = 0, bestValue = 0;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            ReadEntry(mid, out var midKey, out var midValue);
            if (midKey <= key)
            {
                found = mid;
                bestKey = midKey;
                bestValue = midValue;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        foundKey = bestKey;
        value = bestValue;
        return found >= 0;
    }

    private void ReadEntry(int index, out long key, out long value)
    {
        var mirror = Volatile.Read(ref _mirror);
        var offset = index * EntrySize;
        if (mirror is not null && offset + EntrySize <= mirror.Length)
        {
            Decode(mirror.AsSpan(offset, EntrySize), out key, out value);
            return;
        }

        Span<byte> entry = stackalloc byte[EntrySize];
        if (SegmentScanner.Fill(_file, entry, offset) != EntrySize)
        {
            throw new IOException($"Index {Path} ended before entry {index}.");
        }

        Decode(entry, out key, out value);
    }

    /// <summary>Extends the file to its maximum size (sparse) while the segment is active.</summary>
    public void Preallocate() => RandomAccess.SetLength(_file, (long)MaxEntries * EntrySize);

    /// <summary>Cuts the file to its entries (at roll and clean close).</summary>
    public void Trim() => RandomAccess.SetLength(_file, (long)Count * EntrySize);

    /// <summary>Drops the in-memory mirror: lookups read the file from now on (sealed segments).</summary>
    public void ReleaseMemory() => Volatile.Write(ref _mirror, null);

    /// <summary>Starts mirroring the entries in memory (the segment becomes the active one).</summary>
    public void KeepInMemory()
    {
        if (_mirror is not null)
        {
            return;
        }

        var count = Count;
        var mirror = new byte[Math.Max(count * 2, 64) * EntrySize];
        if (SegmentScanner.Fill(_file, mirror.AsSpan(0, count * EntrySize), 0) != count * EntrySize)
        {
            throw new IOException($"Index {Path} is shorter than its {count} entries.");
        }

        Volatile.Write(ref _mirror, mirror);
    }

    public void Flush() => RandomAccess.FlushToDisk(_file);

    public void Dispose() => _file.Dispose();

    /// <summary>
    /// Counts the entries of an existing file, stopping at the first that breaks the order (a
    /// zero-filled preallocated tail). Returns false when the file is unusable: a size that is
    /// not whole entries or too large, or non-zero bytes after the last good entry.
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
        var read = SegmentScanner.Fill(_file, bytes, 0);
        var total = read / EntrySize;
        var count = 0;
        long previousKey = 0, previousValue = 0;
        for (; count < total; count++)
        {
            if (!Decode(bytes.AsSpan(count * EntrySize, EntrySize), out var key, out var value)
                || (count > 0 && !InOrder(previousKey, previousValue, key, value)))
            {
                break;
            }

            previousKey = key;
            previousValue = value;
        }

        _count = count;
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
        : base(path, baseOffset, maxIndexBytes, file, EntryBytes)
    {
    }

    /// <summary>A new, empty index mirrored in memory (for the active segment).</summary>
    public static OffsetIndex Create(string path, long baseOffset, int maxIndexBytes)
    {
        var index = new OffsetIndex(path, baseOffset, maxIndexBytes, OpenFile(path, create: true));
        index.KeepInMemory();
        return index;
    }

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
        : base(path, baseOffset, maxIndexBytes, file, EntryBytes)
    {
    }

    public static TimeIndex Create(string path, long baseOffset, int maxIndexBytes)
    {
        var index = new TimeIndex(path, baseOffset, maxIndexBytes, OpenFile(path, create: true));
        index.KeepInMemory();
        return index;
    }

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
