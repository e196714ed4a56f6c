using Orleans.Storage;

namespace Orleans.Kafka.Storage.GrainStorage;

/// <summary>Options of <see cref="FileGrainStorage"/>, one set per named provider.</summary>
public sealed class FileGrainStorageOptions : IStorageProviderSerializerOptions
{
    /// <summary>Directory holding the state files; created at silo start if missing.</summary>
    public string RootDirectory { get; set; } = string.Empty;

    /// <summary>Serializer of grain state; Orleans' own serializer when left null.</summary>
    public IGrainStorageSerializer GrainStorageSerializer { get; set; } = null!;
}
