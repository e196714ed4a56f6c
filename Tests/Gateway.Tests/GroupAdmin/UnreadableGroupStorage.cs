using System.Collections.Concurrent;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Kafka.Gateway.Tests.GroupAdmin;

/// <summary>
/// In-memory grain storage that fails to read the state of any grain whose id contains <see cref="Marker"/>,
/// as a broken disk or database would: the grain cannot activate and every call to it fails.
/// </summary>
internal sealed class UnreadableGroupStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    public const string Marker = "unreadable";

    private readonly ConcurrentDictionary<string, (BinaryData Data, string ETag)> _records = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainId.ToString().Contains(Marker, StringComparison.Ordinal))
        {
            throw new OrleansException($"Injected storage failure reading {stateName} of {grainId}.");
        }

        if (_records.TryGetValue(Key(stateName, grainId), out var record))
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

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var etag = Guid.NewGuid().ToString("N");
        _records[Key(stateName, grainId)] = (serializer.Serialize(grainState.State), etag);
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        _records.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static string Key(string stateName, GrainId grainId) => $"{stateName}/{grainId}";
}
