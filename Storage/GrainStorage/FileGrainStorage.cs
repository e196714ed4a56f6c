using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Orleans.Kafka.Storage.GrainStorage;

/// <summary>
/// The embedded broker's <see cref="IGrainStorage"/>: one file per grain state under
/// <see cref="FileGrainStorageOptions.RootDirectory"/>. A write goes to a temp file in the same
/// directory, is fsynced, renamed over the old file (atomic) and the directory fsynced, so after
/// a kill -9 or power loss a state file is either the old or the new state, never torn.
/// ETags guard against stale writers as in Orleans' other providers.
/// </summary>
/// <remarks>
/// One process owns a root directory: writes are serialized per file inside this process, not
/// across processes sharing the directory (cluster mode uses PostgreSQL instead).
/// </remarks>
public sealed partial class FileGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const int LockStripes = 64;

    private readonly string _name;
    private readonly string _root;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger<FileGrainStorage> _logger;

    // Striped rather than per file, so the lock table never grows with the number of grains.
    private readonly SemaphoreSlim[] _locks = CreateLocks();

    public FileGrainStorage(string name, FileGrainStorageOptions options, IActivatorProvider activators, ILogger<FileGrainStorage> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.RootDirectory))
        {
            throw new ArgumentException($"File grain storage '{name}' needs a {nameof(FileGrainStorageOptions.RootDirectory)}.", nameof(options));
        }

        _name = name;
        _root = Path.GetFullPath(options.RootDirectory);
        _serializer = options.GrainStorageSerializer
            ?? throw new ArgumentException($"File grain storage '{name}' has no grain storage serializer.", nameof(options));
        _activators = activators;
        _logger = logger;
    }

    /// <summary>Full path of the file holding a grain's state (for diagnostics and tests).</summary>
    public string GetFilePath(string stateName, GrainId grainId) => GrainStateFileNames.PathFor(_root, stateName, grainId);

    public void Participate(ISiloLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        lifecycle.Subscribe(
            $"{nameof(FileGrainStorage)}-{_name}",
            ServiceLifecycleStage.ApplicationServices,
            ct => Task.Run(Initialize, ct),
            _ => Task.CompletedTask);
    }

    /// <summary>
    /// Creates the root directory and deletes temp files a crash left behind: a temp file is
    /// a write that never reached its rename, so it was never acknowledged.
    /// </summary>
    public void Initialize()
    {
        Directory.CreateDirectory(_root);
        var removed = 0;
        foreach (var temp in Directory.EnumerateFiles(_root, "*" + GrainStateFileNames.TempExtension, SearchOption.AllDirectories))
        {
            File.Delete(temp);
            removed++;
        }

        LogInitialized(_name, _root, removed);
    }

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = GetFilePath(stateName, grainId);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            ResetToEmpty(grainState);
            return;
        }

        var (etag, payload) = GrainStateFile.Decode(bytes, path);
        grainState.State = _serializer.Deserialize<T>(new BinaryData(payload));
        grainState.ETag = FormatETag(etag);
        grainState.RecordExists = true;
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = GetFilePath(stateName, grainId);
        var payload = _serializer.Serialize(grainState.State);
        var etag = Guid.NewGuid();
        var file = GrainStateFile.Encode(etag, payload.ToMemory().Span);

        var gate = LockFor(path);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            // fsync and rename block: keep them off the grain's scheduler.
            await Task.Run(() =>
            {
                CheckETag(path, grainState.ETag, "write");
                WriteAtomically(path, file);
            }).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        grainState.ETag = FormatETag(etag);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var path = GetFilePath(stateName, grainId);
        var gate = LockFor(path);
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await Task.Run(() =>
            {
                if (CheckETag(path, grainState.ETag, "clear"))
                {
                    File.Delete(path);
                    DirectorySync.Flush(Path.GetDirectoryName(path)!);
                }
            }).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }

        ResetToEmpty(grainState);
    }

    /// <summary>
    /// Throws <see cref="InconsistentStateException"/> unless the caller's etag is the stored one
    /// (null for "no record"). Returns whether a record exists.
    /// </summary>
    private bool CheckETag(string path, string? expected, string operation)
    {
        string? stored;
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> header = stackalloc byte[GrainStateFile.HeaderLength];
            var read = RandomAccess.Read(handle, header, 0);
            stored = FormatETag(GrainStateFile.DecodeHeader(header[..read], path, out _));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            stored = null;
        }

        if (!string.Equals(stored, expected, StringComparison.Ordinal))
        {
            LogETagMismatch(_name, operation, path, stored, expected);
            throw new InconsistentStateException(
                $"File grain storage '{_name}': {operation} of '{path}' expected etag '{expected ?? "(none)"}' but the stored etag is '{stored ?? "(none)"}'.",
                stored ?? string.Empty,
                expected ?? string.Empty);
        }

        return stored is not null;
    }

    private static void WriteAtomically(string path, byte[] file)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = $"{path}.{Guid.NewGuid():N}{GrainStateFileNames.TempExtension}";
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1))
            {
                stream.Write(file);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            // The write failed (disk full, I/O error): don't leave the temp file behind, then report.
            File.Delete(temp);
            throw;
        }

        DirectorySync.Flush(directory);
    }

    private void ResetToEmpty<T>(IGrainState<T> grainState)
    {
        grainState.State = _activators.GetActivator<T>().Create();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private SemaphoreSlim LockFor(string path) =>
        _locks[(uint)StringComparer.Ordinal.GetHashCode(path) % LockStripes];

    private static SemaphoreSlim[] CreateLocks()
    {
        var locks = new SemaphoreSlim[LockStripes];
        for (var i = 0; i < locks.Length; i++)
        {
            locks[i] = new SemaphoreSlim(1, 1);
        }

        return locks;
    }

    private static string FormatETag(Guid etag) => etag.ToString("N");

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "File grain storage {Name} ready at {Root}; removed {Removed} leftover temp files")]
    private partial void LogInitialized(string name, string root, int removed);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "File grain storage {Name}: {Operation} of {Path} rejected, stored etag {Stored}, caller's etag {Expected}")]
    private partial void LogETagMismatch(string name, string operation, string path, string? stored, string? expected);
}
