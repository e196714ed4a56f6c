using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Topics;
using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Partitions;

/// <summary>
/// The leader's side of replication. A leader activation takes its silo's copy over from the local follower grain,
/// claims leadership from the controller (the topic grain bumps and persists the leader epoch, fencing any older
/// incarnation), and then serves followers' fetches, which report their log ends; from those it moves the high
/// watermark, answers acks=-1 waits, and proposes ISR changes to the controller. A committed state naming another
/// leader or a newer epoch makes it step down.
/// </summary>
public sealed partial class PartitionGrain
{
    /// <summary>How long a call to the controller may take before it is given up and tried again later.</summary>
    private static readonly TimeSpan ControlCallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long an activating leader waits for the controller to grant its claim.</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(20);

    private IGrainTimer? _isrCheck;
    private bool _isrChangeInFlight;

    private ISiloIdentity? Identity => ServiceProvider.GetService<ISiloIdentity>();

    /// <summary>The silo-wide table this grain shares with the silo's follower grains (registered by AddKafkaGrains).</summary>
    private LocalLogOwnership Ownership => ServiceProvider.GetRequiredService<LocalLogOwnership>();

    private long NowMs => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private ITopicReplication Controller => GrainFactory.GetGrain<ITopicReplication>(_topic);

    /// <summary>
    /// Opens the log as this partition's leader. Silos without an id keep the single-copy behaviour; silos with one take
    /// the directory from their follower grain and claim leadership (a new epoch) first.
    /// </summary>
    private async Task OpenAsLeaderAsync(TopicInfo topic)
    {
        var partition = topic.Partitions[_partition];
        if (Identity is not { } me)
        {
            Open(topic, partition, -1);
            return;
        }

        var followerHighWatermark = -1L;
        if (partition.Replicas.Contains(me.SiloId))
        {
            followerHighWatermark = await GrainFactory.GetReplicaGrain(_topic, _partition, me.SiloId).Release();
        }

        // Generous: a claim abandoned by its caller is still committed later, so a tight bound under load turns retries
        // into a queue of claims on the topic grain that each time out in turn.
        PartitionStateResult claim;
        try
        {
            claim = await Controller.ClaimLeadership(_partition, me.SiloId).WaitAsync(ClaimTimeout, _time);
        }
        catch (TimeoutException ex)
        {
            // Nothing was appended: callers must see a retriable "no leader here yet", not a possibly-persisted timeout.
            throw new PartitionUnavailableException($"{PartitionUnavailableException.Marker} The controller did not grant leadership of {this.GetPrimaryKeyString()} within {ClaimTimeout}.", ex);
        }

        if (claim.Error != KafkaErrorCode.None || claim.Partition is not { } committed || claim.TopicId != topic.TopicId)
        {
            throw PartitionUnavailableException.For(this.GetPrimaryKeyString(), claim.Partition?.Leader ?? PartitionInfo.NoLeader);
        }

        Open(topic, committed, followerHighWatermark);
        PartitionGrainLog.BecameLeader(logger, _topic, _partition, committed.LeaderEpoch, string.Join(',', committed.Isr));
        WakeFollowers(committed);
        var period = TimeSpan.FromMilliseconds(Math.Max(100, options.Value.ReplicaLagTimeMaxMs / 2));
        _isrCheck ??= this.RegisterGrainTimer(CheckLaggingFollowers, new GrainTimerCreationOptions(period, period) { KeepAlive = true, Interleave = true });
    }

    private void WakeFollowers(PartitionInfo committed)
    {
        foreach (var replica in committed.Replicas)
        {
            if (replica != committed.Leader)
            {
                FireAndForget(GrainFactory.GetReplicaGrain(_topic, _partition, replica).Follow(), "wake follower");
            }
        }
    }

    public async Task<ReplicaFetchResult> ReplicaFetch(ReplicaFetchCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        var error = Resolve(command.TopicId, out var open);
        if (error != KafkaErrorCode.None)
        {
            return ReplicaFetchResult.Failed(error, -1);
        }

        if (open.Replication is not { } replication || !replication.IsReplica(command.ReplicaId) || command.ReplicaId == replication.LeaderId)
        {
            return ReplicaFetchResult.Failed(KafkaErrorCode.NotLeaderOrFollower, open.LeaderEpoch);
        }

        if (command.LeaderEpoch != replication.LeaderEpoch)
        {
            if (command.LeaderEpoch > replication.LeaderEpoch)
            {
                // The follower knows a newer leader than this one: find out whether we were replaced.
                FireAndForget(CheckLeadershipAsync(open), "check leadership");
                return ReplicaFetchResult.Failed(KafkaErrorCode.UnknownLeaderEpoch, replication.LeaderEpoch);
            }

            return ReplicaFetchResult.Failed(KafkaErrorCode.FencedLeaderEpoch, replication.LeaderEpoch);
        }

        var start = open.Log.LogStartOffset;
        var end = open.Log.LogEndOffset;
        if (command.FetchOffset < start || command.FetchOffset > end)
        {
            return new ReplicaFetchResult(KafkaErrorCode.OffsetOutOfRange, replication.LeaderEpoch, replication.HighWatermark, start, end, ReadOnlyMemory<byte>.Empty);
        }

        if (replication.OnFollowerFetch(command.ReplicaId, command.FetchOffset, end, NowMs))
        {
            Signal();
        }

        if (replication.ProposeExpansion(command.ReplicaId) is { } expanded)
        {
            ProposeIsr(open, expanded);
        }

        if (command.FetchOffset >= end && command.MaxWait > TimeSpan.Zero)
        {
            await WaitForLogEnd(open, command.FetchOffset, command.MaxWait, cancellationToken);
        }

        if (!ReferenceEquals(_open, open) || _fenced)
        {
            return ReplicaFetchResult.Failed(KafkaErrorCode.NotLeaderOrFollower, replication.LeaderEpoch);
        }

        end = open.Log.LogEndOffset;
        if (command.FetchOffset >= end)
        {
            return new ReplicaFetchResult(KafkaErrorCode.None, replication.LeaderEpoch, replication.HighWatermark, open.Log.LogStartOffset, end, ReadOnlyMemory<byte>.Empty);
        }

        try
        {
#pragma warning disable CA2000 // the pooled buffer moves to the result (see FetchResolved)
            var read = open.Log.Read(command.FetchOffset, Math.Max(command.MaxBytes, 1));
#pragma warning restore CA2000
            return new ReplicaFetchResult(KafkaErrorCode.None, replication.LeaderEpoch, replication.HighWatermark, read.LogStartOffset, end, read.Records);
        }
        catch (LogException ex) when (ex.Kind == LogErrorKind.OffsetOutOfRange)
        {
            return new ReplicaFetchResult(KafkaErrorCode.OffsetOutOfRange, replication.LeaderEpoch, replication.HighWatermark, open.Log.LogStartOffset, end, ReadOnlyMemory<byte>.Empty);
        }
    }

    /// <summary>Waits until the log grows past <paramref name="offset"/>, the wait ends, or the log is closed.</summary>
    private async Task WaitForLogEnd(OpenPartition open, long offset, TimeSpan wait, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (ReferenceEquals(_open, open) && !_fenced && open.Log.LogEndOffset <= offset)
        {
            var remaining = wait - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || !await WaitForSignal(remaining, cancellationToken))
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next <see cref="Signal"/>; false on timeout or cancellation.</summary>
    private async Task<bool> WaitForSignal(TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await _dataArrived.Task.WaitAsync(timeout, _time, cancellationToken);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async Task<KafkaErrorCode> AwaitReplication(Guid topicId, long offset, int leaderEpoch, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        while (true)
        {
            if (_open is not { } open || _fenced)
            {
                // Closing or stepping down: this activation cannot judge; the caller asks the partition again and reaches
                // its next leader, on this silo or another.
                return KafkaErrorCode.LeaderNotAvailable;
            }

            if (open.TopicId != topicId || open.Replication is not { } replication || !HoldsAppended(open, offset, leaderEpoch))
            {
                // The batch is not in this leader's log as it was appended (another incarnation's suffix, lost with it).
                return KafkaErrorCode.NotLeaderOrFollower;
            }

            if (replication.HighWatermark >= offset)
            {
                return replication.Isr.Count >= MinInsyncReplicas(open) ? KafkaErrorCode.None : KafkaErrorCode.NotEnoughReplicasAfterAppend;
            }

            var remaining = timeout - _time.GetElapsedTime(started);
            if (remaining <= TimeSpan.Zero || !await WaitForSignal(remaining, cancellationToken))
            {
                return KafkaErrorCode.RequestTimedOut;
            }
        }
    }

    /// <summary>
    /// Whether this log still holds what the leader of <paramref name="leaderEpoch"/> appended below <paramref name="offset"/>:
    /// the record just below it carries that epoch here (KIP-101: one leader per epoch, which never rewrites its own
    /// offsets, so a log whose epoch history says "epoch e" at an offset has epoch e's record there). A leader activation
    /// that replaced another on the same silo, or a follower promoted after copying the batch, keeps the wait going: an
    /// answer of "not persisted" for a batch that is in the log lets an idempotent client renumber it after an epoch bump
    /// and write it twice.
    /// </summary>
    private static bool HoldsAppended(OpenPartition open, long offset, int leaderEpoch) =>
        leaderEpoch == open.LeaderEpoch
            ? offset <= open.Log.LogEndOffset
            : offset > 0 && offset <= open.Log.LogEndOffset && open.Epochs.EpochAt(offset - 1) == leaderEpoch;

    public Task PartitionChanged(Guid topicId, PartitionInfo partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (_open is { } open && open.TopicId == topicId && open.Replication is not null)
        {
            OnCommitted(open, partition);
        }

        return Task.CompletedTask;
    }

    public Task<ReplicaState> GetReplicaState()
    {
        var state = _open is { } open && !_fenced
            ? new ReplicaState(true, open.LeaderEpoch, open.Log.LogStartOffset, open.Log.LogEndOffset, HighWatermark(open))
            : new ReplicaState(false, -1, -1, -1, -1);
        return Task.FromResult(state);
    }

    /// <summary>min.insync.replicas: the topic's setting, else the broker's.</summary>
    private int MinInsyncReplicas(OpenPartition open) =>
        open.Overrides.TryGetValue("min.insync.replicas", out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value)
            ? value
            : options.Value.MinInsyncReplicas;

    /// <summary>
    /// Periodic: proposes removing ISR members that lag too long, and wakes followers that have gone quiet (a silo that
    /// came back has no follower grain until something calls it; placement refuses quickly while it is still down).
    /// </summary>
    private Task CheckLaggingFollowers(CancellationToken cancellationToken)
    {
        if (_open is not { Replication: { } replication } open || _fenced)
        {
            return Task.CompletedTask;
        }

        var now = NowMs;
        if (replication.ProposeShrink(now) is { } shrunk)
        {
            ProposeIsr(open, shrunk);
        }

        foreach (var silent in replication.SilentFollowers(now, Math.Max(1000, options.Value.ReplicaFetchWaitMaxMs * 4L)))
        {
            FireAndForget(GrainFactory.GetReplicaGrain(_topic, _partition, silent).Follow(), "wake a silent follower");
        }

        return Task.CompletedTask;
    }

    /// <summary>Sends an ISR change to the controller (one at a time; a later fetch or check proposes again).</summary>
    private void ProposeIsr(OpenPartition open, IReadOnlyList<int> isr)
    {
        if (_isrChangeInFlight || open.Replication is not { } replication)
        {
            return;
        }

        _isrChangeInFlight = true;
        FireAndForget(AlterIsrAsync(open, replication, isr), "ISR change");
    }

    private async Task AlterIsrAsync(OpenPartition open, LeaderReplication replication, IReadOnlyList<int> isr)
    {
        try
        {
            // Bounded so that a call lost with the controller's silo does not block ISR changes for Orleans' 30 s response
            // timeout; the next proposal reaches the controller's new activation.
            PartitionStateResult result;
            try
            {
                result = await Controller.AlterIsr(_partition, replication.LeaderId, replication.LeaderEpoch, isr).WaitAsync(ControlCallTimeout, _time);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                PartitionGrainLog.IsrChangeFailed(logger, _topic, _partition, string.Join(',', isr), ex.GetType().Name, ex.Message);
                return;
            }

            if (!ReferenceEquals(_open, open))
            {
                return;
            }

            if (result.Error == KafkaErrorCode.None && result.Partition is { } committed)
            {
                PartitionGrainLog.IsrChanged(logger, _topic, _partition, string.Join(',', replication.Isr), string.Join(',', committed.Isr));
                OnCommitted(open, committed);
            }
            else if (result.Error is KafkaErrorCode.FencedLeaderEpoch or KafkaErrorCode.NotLeaderOrFollower or KafkaErrorCode.UnknownTopicOrPartition)
            {
                StepDown($"the controller refused an ISR change with {result.Error}");
            }
            else if (result.Error != KafkaErrorCode.None)
            {
                // Proposed again on the next fetch or check; logged so that an ISR that never changes has a reason.
                PartitionGrainLog.IsrChangeRefused(logger, _topic, _partition, string.Join(',', isr), result.Error);
            }
        }
        finally
        {
            _isrChangeInFlight = false;
        }
    }

    /// <summary>Takes a committed state: steps down when it names another leader or epoch, else adopts ISR and replicas.</summary>
    private void OnCommitted(OpenPartition open, PartitionInfo committed)
    {
        if (open.Replication is not { } replication || _fenced)
        {
            return;
        }

        if (IsStale(open, committed))
        {
            StepDown($"the controller committed leader {committed.Leader} at epoch {committed.LeaderEpoch}");
            return;
        }

        if (committed.LeaderEpoch < replication.LeaderEpoch)
        {
            return; // an older notification overtaken by this leader's own claim
        }

        var newReplicas = !committed.Replicas.SequenceEqual(replication.Committed.Replicas);
        replication.Apply(committed, NowMs);
        replication.UpdateHighWatermark(open.Log.LogEndOffset);
        Signal(); // the high watermark or the ISR size changed: acks=-1 waits re-check
        if (newReplicas)
        {
            WakeFollowers(committed);
        }
    }

    /// <summary>True when <paramref name="committed"/> says this activation no longer leads.</summary>
    private bool IsStale(OpenPartition open, PartitionInfo committed) =>
        open.Replication is { } replication && (committed.Leader != replication.LeaderId || committed.LeaderEpoch > replication.LeaderEpoch);

    private async Task CheckLeadershipAsync(OpenPartition open)
    {
        var topic = await CurrentTopic();
        if (ReferenceEquals(_open, open) && (topic is null || topic.TopicId != open.TopicId || _partition >= topic.Partitions.Count || IsStale(open, topic.Partitions[_partition])))
        {
            StepDown("a follower knows a newer leader epoch");
        }
    }

    /// <summary>Stops serving at once and deactivates; the next call finds the leader the controller named.</summary>
    private void StepDown(string reason)
    {
        if (_fenced)
        {
            return;
        }

        _fenced = true;
        PartitionGrainLog.SteppedDown(logger, _topic, _partition, reason);
        Signal();
        DeactivateOnIdle();
    }

    private void FireAndForget(Task task, string what) =>
        task.ContinueWith(
            t => PartitionGrainLog.BackgroundCallFailed(logger, t.Exception!.GetBaseException(), _topic, _partition, what),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
}
