using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// A follower copy of one partition on one silo (key "topic/partition@silo", placed on that silo). While another silo
/// leads, it owns this silo's directory of the partition and pulls from the leader grain in a loop
/// (<see cref="FollowerLoop"/>): truncate by leader epoch after every leader change, then fetch from its log end, append
/// what arrives with the leader's offsets and epochs, repeat. The fetch offset is how the leader learns this replica's
/// progress (ISR and high watermark). When this silo becomes the leader, the leader grain takes the directory over
/// through <see cref="Release"/>; when the replica is removed from the partition, its files are deleted.
/// <para>Reentrant: the loop runs on this activation's scheduler between calls, and <see cref="Release"/> must be able
/// to stop it while one of its fetches is outstanding.</para>
/// </summary>
[KeepAlive]
[Reentrant]
[ReplicaPlacement]
public sealed partial class ReplicaGrain(IOptions<BrokerOptions> options, ILogger<ReplicaGrain> logger) : Grain, IReplicaGrain
{
    private string _topic = "";
    private int _partition = -1;
    private int _siloId = -1;
    private string _directory = "";
    private FollowerLoop? _loop;
    private IGrainTimer? _maintenance;

    internal BrokerOptions Options => options.Value;

    internal ILogger Logger => logger;

    internal IServiceProvider Services => ServiceProvider;

    internal string Topic => _topic;

    internal int Partition => _partition;

    internal int SiloId => _siloId;

    internal string Directory => _directory;

    internal LocalLogOwnership Ownership => ServiceProvider.GetRequiredService<LocalLogOwnership>();

    internal IGrainFactory Grains => GrainFactory;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        if (!ReplicaKey.TryParse(key, out _topic, out _partition, out _siloId))
        {
            throw new ArgumentException($"'{key}' is not a replica key (topic/partition@silo).");
        }

        _directory = PartitionDirectory.PathFor(options.Value.LogDirs, _topic, _partition);
        _maintenance = this.RegisterGrainTimer(
            _ => _loop?.RunMaintenance() ?? Task.CompletedTask,
            new GrainTimerCreationOptions(PartitionGrain.MaintenancePeriod, PartitionGrain.MaintenancePeriod) { KeepAlive = true, Interleave = true });
        StartLoop();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _maintenance?.Dispose();
        if (_loop is { } loop)
        {
            _loop = null;
            await loop.StopAsync();
        }
    }

    public Task Follow()
    {
        StartLoop();
        return Task.CompletedTask;
    }

    public async Task<long> Release()
    {
        if (_loop is not { } loop)
        {
            return -1;
        }

        _loop = null;
        var highWatermark = await loop.StopAsync();
        DeactivateOnIdle();
        return highWatermark;
    }

    public Task<ReplicaState> GetState() =>
        Task.FromResult(_loop?.State ?? new ReplicaState(false, -1, -1, -1, -1));

    private void StartLoop()
    {
        if (_loop is { IsRunning: true })
        {
            return;
        }

        _loop = new FollowerLoop(this);
        _loop.Start();
    }

    /// <summary>The loop ended by itself (this silo leads now, or the replica or topic is gone): deactivate.</summary>
    internal void LoopEnded(FollowerLoop loop)
    {
        if (ReferenceEquals(_loop, loop))
        {
            _loop = null;
            DeactivateOnIdle();
        }
    }
}
