using System.IO.Hashing;

namespace Orleans.Kafka.Storage.Compaction;

/// <summary>
/// Key → newest offset over the dirty section. Keys are stored as 128-bit hashes, as Kafka's
/// SkimpyOffsetMap stores digests: memory per key is fixed and a collision (2^-64 odds per pair)
/// would at worst drop an older record of another key.
/// </summary>
internal sealed class OffsetMap
{
    private readonly Dictionary<UInt128, long> _offsets = [];

    public int Count => _offsets.Count;

    public static UInt128 Hash(ReadOnlySpan<byte> key) => XxHash128.HashToUInt128(key);

    /// <summary>Records <paramref name="offset"/> for the key; later offsets replace earlier ones.</summary>
    public void Put(ReadOnlySpan<byte> key, long offset)
    {
        var hash = Hash(key);
        ref var slot = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_offsets, hash, out var exists);
        if (!exists || offset > slot)
        {
            slot = offset;
        }
    }

    /// <summary>The newest offset seen for the key, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key) => _offsets.TryGetValue(Hash(key), out var offset) ? offset : -1;
}
