using System.IO.Hashing;
using System.Runtime.InteropServices;
using Orleans.Kafka.Groups;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// The catalogue of consumer groups (key "groups"), which ListGroups reads. Group grains register themselves when the
/// group comes into being and unregister when it is deleted or expires; both calls are idempotent.
///
/// The ids are persisted in <see cref="BucketCount"/> records split by a stable hash of the id, so a register or
/// unregister rewrites about 1/16 of the catalogue rather than all of it. Register/Unregister are not reentrant (one
/// write at a time); <see cref="ListGroupIds"/> interleaves and sees only ids whose write has completed, because the
/// visible set is changed after the write succeeds.
/// </summary>
public sealed class GroupRegistryGrain : Grain, IGroupRegistryGrain
{
    /// <summary>Fixed: a group's bucket is part of the stored layout, so changing this needs a migration.</summary>
    public const int BucketCount = 16;

    /// <summary>The grain storage provider the Kafka grains persist through.</summary>
    public const string StorageName = "kafka";

    private readonly IPersistentState<GroupRegistryState>[] _buckets = new IPersistentState<GroupRegistryState>[BucketCount];
    private readonly HashSet<string>[] _ids = new HashSet<string>[BucketCount];

    public GroupRegistryGrain(IPersistentStateFactory stateFactory)
    {
        ArgumentNullException.ThrowIfNull(stateFactory);

        // Created in the constructor so Orleans reads them before OnActivateAsync, as it does [PersistentState] ones.
        for (var i = 0; i < BucketCount; i++)
        {
            _buckets[i] = stateFactory.Create<GroupRegistryState>(GrainContext, new StateConfiguration($"groupRegistry-{i:D2}", StorageName));
        }
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < BucketCount; i++)
        {
            _ids[i] = new HashSet<string>(_buckets[i].State.GroupIds, StringComparer.Ordinal);
        }

        return Task.CompletedTask;
    }

    public Task Register(string groupId)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var bucket = Bucket(groupId);
        return _ids[bucket].Contains(groupId) ? Task.CompletedTask : SaveAsync(bucket, [.. _ids[bucket], groupId]);
    }

    public Task Unregister(string groupId)
    {
        ArgumentNullException.ThrowIfNull(groupId);
        var bucket = Bucket(groupId);
        return _ids[bucket].Contains(groupId) ? SaveAsync(bucket, _ids[bucket].Where(id => id != groupId)) : Task.CompletedTask;
    }

    public Task<IReadOnlyList<string>> ListGroupIds()
    {
        IReadOnlyList<string> all = [.. _ids.SelectMany(ids => ids).Order(StringComparer.Ordinal)];
        return Task.FromResult(all);
    }

    /// <summary>Persists <paramref name="ids"/> as the bucket's content, then makes it visible (a failed write changes nothing).</summary>
    private async Task SaveAsync(int bucket, IEnumerable<string> ids)
    {
        var next = new HashSet<string>(ids, StringComparer.Ordinal);
        var state = _buckets[bucket];
        var previous = state.State;
        state.State = new GroupRegistryState { GroupIds = [.. next.Order(StringComparer.Ordinal)] };
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            // Keep the in-memory record equal to what is stored; the caller sees the failure and may retry.
            state.State = previous;
            throw;
        }

        _ids[bucket] = next;
    }

    /// <summary>xxHash32 of the id's UTF-16 code units: stable across processes, unlike string.GetHashCode.</summary>
    internal static int Bucket(string groupId) =>
        (int)(XxHash32.HashToUInt32(MemoryMarshal.AsBytes(groupId.AsSpan())) % BucketCount);

    private sealed record StateConfiguration(string StateName, string StorageName) : IPersistentStateConfiguration;
}
