using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using Orleans.TestingHost;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

/// <summary>The provider registered in a real silo via <c>AddKafkaFileGrainStorage</c>.</summary>
public sealed class FileGrainStorageSiloTests : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "okgs-silo-" + Guid.NewGuid().ToString("N"));
    private InProcessTestCluster? _cluster;

    public async Task InitializeAsync() => _cluster = await StartClusterAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task State_survives_deactivation_and_a_silo_restart()
    {
        var grain = _cluster!.Client.GetGrain<IFileStorageTestGrain>("restart");
        await grain.Set("persisted");
        await grain.Deactivate();
        await _cluster.WaitForDeactivationAsync(grain);
        Assert.Equal("persisted", await grain.Get());

        await _cluster.DisposeAsync();
        _cluster = await StartClusterAsync();

        var again = _cluster.Client.GetGrain<IFileStorageTestGrain>("restart");
        Assert.Equal("persisted", await again.Get());
        Assert.True(await again.Exists());
    }

    [Fact]
    public async Task Clear_removes_the_state_for_later_activations()
    {
        var grain = _cluster!.Client.GetGrain<IFileStorageTestGrain>("clear");
        await grain.Set("soon gone");
        await grain.Clear();
        await grain.Deactivate();
        await _cluster.WaitForDeactivationAsync(grain);

        Assert.Null(await grain.Get());
        Assert.False(await grain.Exists());
    }

    [Fact]
    public async Task Grain_write_after_another_writer_changed_the_file_fails_with_InconsistentStateException()
    {
        var grain = _cluster!.Client.GetGrain<IFileStorageTestGrain>("stale");
        await grain.Set("mine");

        // Another writer (as a second activation would) replaces the state behind the grain's back,
        // through the silo's own provider so it uses the silo's serializer.
        var storage = _cluster.GetSiloServiceProvider(_cluster.Silos[0].SiloAddress).GetRequiredKeyedService<IGrainStorage>("kafka");
        var id = grain.GetGrainId();
        var state = new GrainState<TestState>();
        await storage.ReadStateAsync("s", id, state);
        Assert.Equal("mine", state.State!.Value);
        state.State!.Value = "theirs";
        await storage.WriteStateAsync("s", id, state);

        await Assert.ThrowsAsync<InconsistentStateException>(() => grain.Set("mine again"));
    }

    private async Task<InProcessTestCluster> StartClusterAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) => silo.AddKafkaFileGrainStorage("kafka", o => o.RootDirectory = _root));
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return cluster;
    }
}
