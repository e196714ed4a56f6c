using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Kafka.Storage.GrainStorage;
using Orleans.Serialization;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

/// <summary>A provider outside a silo, with Orleans' serializer, over a temp directory.</summary>
internal sealed class StorageHarness : IDisposable
{
    private readonly ServiceProvider _services;

    public StorageHarness(string? root = null)
    {
        Root = root ?? Path.Combine(Path.GetTempPath(), "okgs-" + Guid.NewGuid().ToString("N"));
        OwnsRoot = root is null;
        _services = new ServiceCollection().AddSerializer().BuildServiceProvider();
        Storage = CreateProvider();
    }

    public string Root { get; }

    private bool OwnsRoot { get; }

    public FileGrainStorage Storage { get; }

    /// <summary>A second provider over the same directory, as after a restart.</summary>
    public FileGrainStorage CreateProvider()
    {
        var options = new FileGrainStorageOptions
        {
            RootDirectory = Root,
            GrainStorageSerializer = new OrleansGrainStorageSerializer(_services.GetRequiredService<Serializer>()),
        };
        var storage = new FileGrainStorage("test", options, _services.GetRequiredService<IActivatorProvider>(), NullLogger<FileGrainStorage>.Instance);
        storage.Initialize();
        return storage;
    }

    public void Dispose()
    {
        _services.Dispose();
        if (OwnsRoot && Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
