using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Kafka.Grains.Tests;

/// <summary>
/// Grain state that outlives a test cluster: the test owns the store, every silo of every cluster built on it reads and
/// writes the same records. Lets a test stop all silos and start new ones against the same "disk".
/// </summary>
public sealed class SharedGrainStore
{
    internal ConcurrentDictionary<string, (BinaryData Data, string ETag)> Records { get; } = new();

    public int Count => Records.Count;

    /// <summary>When set, awaited before every write: lets a test hold a grain inside its storage write.</summary>
    public Func<string, Task>? BeforeWrite { get; set; }

    /// <summary>When set, writes and clears of records whose key this matches fail, as a broken disk would.</summary>
    public Func<string, bool>? FailWrites { get; set; }
}

/// <summary>An <see cref="IGrainStorage"/> over a <see cref="SharedGrainStore"/>, with ETag checks like a real provider.</summary>
internal sealed class SharedGrainStorage(SharedGrainStore store, IGrainStorageSerializer serializer) : IGrainStorage
{
    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (store.Records.TryGetValue(Key(stateName, grainId), out var record))
        {
            grainState.State = serializer.Deserialize<T>(record.Data);
            grainState.ETag = record.ETag;
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }

        return Task.CompletedTask;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        if (store.BeforeWrite is { } hook)
        {
            await hook(key);
        }

        var etag = Guid.NewGuid().ToString("N");
        var data = serializer.Serialize(grainState.State);
        lock (store.Records)
        {
            CheckFault(key);
            CheckETag(key, grainState.ETag);
            store.Records[key] = (data, etag);
        }

        grainState.ETag = etag;
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        lock (store.Records)
        {
            CheckETag(key, grainState.ETag);
            store.Records.TryRemove(key, out _);
        }

        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private void CheckFault(string key)
    {
        if (store.FailWrites?.Invoke(key) == true)
        {
            throw new OrleansException($"Injected storage failure writing {key}.");
        }
    }

    private void CheckETag(string key, string? expected)
    {
        var current = store.Records.TryGetValue(key, out var record) ? record.ETag : null;
        if (current != expected)
        {
            throw new InconsistentStateException($"ETag mismatch on {key}: stored {current ?? "none"}, writer had {expected ?? "none"}.");
        }
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
}
