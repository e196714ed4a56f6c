using Orleans.Runtime;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

[GenerateSerializer]
[Alias("Orleans.Kafka.Storage.Tests.GrainStorage.TestState")]
public sealed class TestState
{
    [Id(0)]
    public string? Value { get; set; }

    [Id(1)]
    public long Counter { get; set; }

    [Id(2)]
    public byte[] Padding { get; set; } = [];
}

[Alias("Orleans.Kafka.Storage.Tests.GrainStorage.IFileStorageTestGrain")]
public interface IFileStorageTestGrain : IGrainWithStringKey
{
    [Alias("Set")]
    Task Set(string value);

    [Alias("Get")]
    Task<string?> Get();

    [Alias("Exists")]
    Task<bool> Exists();

    [Alias("Clear")]
    Task Clear();

    [Alias("Deactivate")]
    Task Deactivate();
}

public sealed class FileStorageTestGrain([PersistentState("s", "kafka")] IPersistentState<TestState> state) : Grain, IFileStorageTestGrain
{
    public async Task Set(string value)
    {
        state.State.Value = value;
        state.State.Counter++;
        await state.WriteStateAsync();
    }

    public Task<string?> Get() => Task.FromResult(state.State.Value);

    public Task<bool> Exists() => Task.FromResult(state.RecordExists);

    public Task Clear() => state.ClearStateAsync();

    public Task Deactivate()
    {
        DeactivateOnIdle();
        return Task.CompletedTask;
    }
}
