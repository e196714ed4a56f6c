using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>
/// A consumer group's coordinator (key: group id) for the classic protocol, with its committed offsets.
///
/// Concurrency: the grain is <see cref="ReentrantAttribute">reentrant</see> because JoinGroup and SyncGroup answers are
/// parked (a <see cref="TaskCompletionSource{T}"/> per member) until the rebalance completes, and the other members'
/// calls must go on meanwhile. Every state transition runs synchronously between awaits; the only awaits in the middle
/// of an operation are storage writes (serialized by <see cref="_writeLock"/>) and the registry call, and code after
/// such an await re-checks the state it depends on. Timers (sessions, rebalance, retention) interleave the same way.
///
/// Persistence: the group's existence, generation, protocol type/name, the time it became empty, and committed offsets
/// (with leader epoch, metadata, commit and expire timestamps). Members and assignments live in memory only: after a
/// coordinator restart the group is Empty at its last generation, members get UNKNOWN_MEMBER_ID and rejoin (what
/// clients do after any coordinator move), and offsets of the old generation are kept.
///
/// Lifetime: member session timers and the retention check timer keep the activation alive while the group has members
/// or committed offsets; a group with neither may be deactivated.
/// </summary>
[Reentrant]
public sealed partial class ConsumerGroupGrain(
    [PersistentState("group", GroupRegistryGrain.StorageName)] IPersistentState<ConsumerGroupState> state,
    IOptions<BrokerOptions> options,
    ILogger<ConsumerGroupGrain> logger) : Grain, IConsumerGroupGrain
{
    private readonly BrokerOptions _options = options.Value;
    private readonly Dictionary<string, GroupMember> _members = new(StringComparer.Ordinal);

    /// <summary>group.instance.id → member id of the static members.</summary>
    private readonly Dictionary<string, string> _staticMembers = new(StringComparer.Ordinal);

    /// <summary>Member ids handed out with MEMBER_ID_REQUIRED (KIP-394) that have not rejoined yet, with their expiry timers.</summary>
    private readonly Dictionary<string, IGrainTimer> _pending = new(StringComparer.Ordinal);

    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private string _groupState = GroupStates.Empty;
    private string? _leaderId;
    private IGrainTimer? _rebalanceTimer;
    private IGrainTimer? _retentionTimer;
    private long _initialDelayUntilMs;
    private long _initialDelayCapMs;
    private long _rebalanceDeadlineMs;
    private long _syncDeadlineMs;
    private bool _dirty;

    private string GroupId => this.GetPrimaryKeyString();

    private ConsumerGroupState Stored => state.State;

    private static long NowMs => TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!Stored.Exists)
        {
            return;
        }

        if (Stored.EmptySinceMs < 0)
        {
            // The members of the last run are gone with it: the group is empty from now on (retention counts from here).
            Stored.EmptySinceMs = NowMs;
            _dirty = true;
        }

        StartRetentionTimer();
        await ExpireOffsetsAsync();
        await FlushIfDirtyAsync();
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // Parked calls must not hang until the caller's timeout: the client finds the coordinator again and rejoins.
        foreach (var member in _members.Values)
        {
            member.AwaitingJoin?.TrySetResult(JoinGroupResult.Failed(KafkaErrorCode.CoordinatorNotAvailable, member.MemberId));
            member.AwaitingSync?.TrySetResult(SyncGroupResult.Failed(KafkaErrorCode.CoordinatorNotAvailable));
        }

        return Task.CompletedTask;
    }

    public Task<GroupDescription> Describe()
    {
        if (IsConsumerProtocolGroup)
        {
            return Task.FromResult(DescribeConsumerGroupAsClassic());
        }

        var exists = Stored.Exists || _members.Count > 0;
        if (!exists)
        {
            return Task.FromResult(new GroupDescription(GroupId, false, GroupStates.Dead, "", "", []));
        }

        // Like Kafka, metadata and assignments are shown only for a stable group.
        var stable = _groupState == GroupStates.Stable;
        var members = _members.Values
            .Select(m => new GroupMemberDescription(m.MemberId, m.GroupInstanceId, m.ClientId, m.ClientHost,
                stable ? m.MetadataFor(Stored.ProtocolName) : [], stable ? m.Assignment : []))
            .ToList();
        var protocol = _groupState is GroupStates.Stable or GroupStates.CompletingRebalance ? Stored.ProtocolName ?? "" : "";
        return Task.FromResult(new GroupDescription(GroupId, true, _groupState, Stored.ProtocolType, protocol, members));
    }

    public async Task<KafkaErrorCode> Delete()
    {
        if (_members.Count > 0 || _pending.Count > 0 || ConsumerMemberCount > 0)
        {
            return KafkaErrorCode.NonEmptyGroup;
        }

        if (!Stored.Exists)
        {
            return KafkaErrorCode.GroupIdNotFound;
        }

        await RemoveGroupAsync("deleted");
        return KafkaErrorCode.None;
    }

    /// <summary>Marks the group as existing and registers it (first join or first offset commit).</summary>
    private async Task EnsureRegisteredAsync()
    {
        if (Stored.Exists)
        {
            return;
        }

        Stored.Exists = true;
        _dirty = true;
        StartRetentionTimer();
        await GrainFactory.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).Register(GroupId);
    }

    /// <summary>Forgets the group: offsets, generation and registration (deletion or expiry).</summary>
    private async Task RemoveGroupAsync(string reason)
    {
        state.State = new ConsumerGroupState();
        _consumer = null;
        _groupState = GroupStates.Empty;
        _leaderId = null;
        _retentionTimer?.Dispose();
        _retentionTimer = null;
        _dirty = false;
        await _writeLock.WaitAsync();
        try
        {
            await state.ClearStateAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        await GrainFactory.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key).Unregister(GroupId);
        GroupLog.GroupRemoved(logger, GroupId, reason);
    }

    /// <summary>Writes the state if something changed; writes are serialized because calls interleave.</summary>
    private async Task FlushIfDirtyAsync()
    {
        if (!_dirty)
        {
            return;
        }

        await _writeLock.WaitAsync();
        try
        {
            // A write that started after our change carries it too; only write while still dirty.
            if (_dirty)
            {
                _dirty = false;
                await state.WriteStateAsync();
            }
        }
        catch
        {
            _dirty = true;
            throw;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void StartRetentionTimer()
    {
        if (_retentionTimer is not null)
        {
            return;
        }

        var period = TimeSpan.FromMilliseconds(Math.Max(1, _options.OffsetsRetentionCheckIntervalMs));
        _retentionTimer = this.RegisterGrainTimer(
            _ => OnRetentionCheckAsync(), new GrainTimerCreationOptions(period, period) { Interleave = true, KeepAlive = true });
    }

    private async Task OnRetentionCheckAsync()
    {
        await ExpireOffsetsAsync();
        await FlushIfDirtyAsync();
    }

    private IGrainTimer NewTimer<TState>(Func<TState, Task> callback, TState timerState, TimeSpan due) =>
        this.RegisterGrainTimer<TState>(
            (s, _) => callback(s), timerState, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true, KeepAlive = true });
}
