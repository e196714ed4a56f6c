using Microsoft.Extensions.Logging;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// One topic's metadata (key: topic name): id, partitions with replica assignment, config overrides.
/// This grain's persisted state is the truth for partitions and configs; after each persisted change it pushes the new
/// <see cref="TopicInfo"/> to the registry (see <see cref="TopicRegistryGrain"/> for the whole consistency story).
/// Writes are non-reentrant; reads are interleaved and only ever see <see cref="_info"/>, which is replaced after
/// storage accepted a change. It is also the replication controller of its partitions (leader, epoch, ISR,
/// reassignment): see TopicGrain.Replication.cs.
/// </summary>
public sealed partial class TopicGrain(
    [PersistentState("topic", TopicRegistryGrain.StorageName)] IPersistentState<TopicState> state,
    IReplicaPlacement placement,
    IClusterMembershipService membership,
    ILogger<TopicGrain> logger) : Grain, ITopicGrain, ITopicLifecycle, ITopicReplication
{
    /// <summary>The committed snapshot; null when this topic does not exist.</summary>
    private TopicInfo? _info;

    /// <summary>True while the registry may not have <see cref="_info"/>: a push is due, running, or failed.</summary>
    private bool _registryBehind;

    /// <summary>The background push of partition states to the registry (<see cref="PushToRegistryLater"/>), if any.</summary>
    private Task? _push;

    /// <summary>How long a commit waits for the registry to take the new state before leaving it to the next Reconcile.</summary>
    private static readonly TimeSpan RegistryPushTimeout = TimeSpan.FromSeconds(3);

    private string Name => this.GetPrimaryKeyString();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (state.State.TopicId == Guid.Empty)
        {
            return;
        }

        // The registry decides whether this topic exists: state it does not list is left over from a create or
        // delete interrupted half-way, and must not resurface as a topic.
        var listed = await GrainFactory.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key).GetTopic(Name);
        if (listed is null || listed.TopicId != state.State.TopicId)
        {
            TopicLog.StaleStateCleared(logger, Name, state.State.TopicId);
            await ClearState();
            return;
        }

        _info = Snapshot(state.State);
        if (!TopicInfoComparer.SameMetadata(listed, _info))
        {
            // A change persisted here whose push to the registry failed (e.g. its storage was down): heal the cache now.
            await GrainFactory.GetGrain<ITopicRegistrySync>(ITopicRegistryGrain.Key).TopicChanged(_info);
        }
    }

    public Task<TopicInfo?> GetInfo() => Task.FromResult(_info);

    public async Task Initialize(TopicInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        await Persist(TopicState.From(info));
    }

    public async Task Clear(Guid topicId)
    {
        if (state.State.TopicId == topicId)
        {
            await ClearState();
        }

        DeactivateOnIdle();
    }

    public async Task<AdminResult> CreatePartitions(int totalCount, IReadOnlyList<IReadOnlyList<int>>? assignments, bool validateOnly)
    {
        if (_info is not { } current)
        {
            return UnknownTopic;
        }

        var existing = current.Partitions.Count;
        if (totalCount == existing)
        {
            return new AdminResult(KafkaErrorCode.InvalidPartitions, $"Topic already has {existing} partition(s).");
        }

        if (totalCount < existing)
        {
            return new AdminResult(KafkaErrorCode.InvalidPartitions,
                $"The topic {current.Name} currently has {existing} partition(s); {totalCount} would not be an increase.");
        }

        if (totalCount > ReplicaAssignments.MaxPartitions)
        {
            return new AdminResult(KafkaErrorCode.InvalidPartitions, ReplicaAssignments.TooManyPartitions(totalCount));
        }

        var additional = totalCount - existing;
        var replicationFactor = current.Partitions[0].Replicas.Count;
        var brokers = placement.AvailableBrokers();
        IReadOnlyList<int[]> placed;
        if (assignments is not null)
        {
            if (assignments.Count != additional)
            {
                return new AdminResult(KafkaErrorCode.InvalidReplicaAssignment,
                    $"Attempted to add {additional} additional partition(s), but only {assignments.Count} assignment(s) were specified.");
            }

            foreach (var replicas in assignments)
            {
                if (ReplicaAssignments.ValidateReplicas(replicas, replicationFactor, brokers) is { } error)
                {
                    return error;
                }
            }

            placed = [.. assignments.Select(a => a.ToArray())];
        }
        else if (replicationFactor > brokers.Count)
        {
            return new AdminResult(KafkaErrorCode.InvalidReplicationFactor,
                ReplicaAssignments.ReplicationFactorTooLarge(replicationFactor, brokers.Count));
        }
        else
        {
            placed = placement.Place(existing, additional, replicationFactor, brokers);
        }

        if (validateOnly)
        {
            return AdminResult.Ok;
        }

        var result = await Commit(state.State.WithPartitions(placed));
        if (result.IsOk)
        {
            TopicLog.PartitionsAdded(logger, Name, totalCount);
        }

        return result;
    }

    public Task<DescribeConfigsResult> DescribeConfigs(IReadOnlyList<string>? keys, bool includeSynonyms, bool includeDocumentation)
    {
        var result = _info is { } current
            ? new DescribeConfigsResult(KafkaErrorCode.None, null,
                TopicConfigCatalog.Describe(current.ConfigOverrides, keys, includeSynonyms, includeDocumentation))
            : new DescribeConfigsResult(UnknownTopic.Error, UnknownTopic.Message, []);
        return Task.FromResult(result);
    }

    public Task<AdminResult> ReplaceConfigs(IReadOnlyDictionary<string, string?> configs, bool validateOnly) =>
        ChangeConfigs(_ => TopicConfigEditor.Replace(configs, KafkaErrorCode.InvalidRequest), validateOnly);

    public Task<AdminResult> AlterConfigs(IReadOnlyList<ConfigAlteration> alterations, bool validateOnly) =>
        ChangeConfigs(current => TopicConfigEditor.Apply(current, alterations), validateOnly);

    private async Task<AdminResult> ChangeConfigs(Func<IReadOnlyDictionary<string, string>, ConfigEditResult> edit, bool validateOnly)
    {
        if (_info is not { } current)
        {
            return UnknownTopic;
        }

        var edited = edit(current.ConfigOverrides);
        if (!edited.Outcome.IsOk || validateOnly)
        {
            return edited.Outcome;
        }

        var next = state.State.WithConfigs(edited.Overrides);
        var result = await Commit(next);
        if (result.IsOk)
        {
            TopicLog.ConfigsChanged(logger, Name, string.Join(", ", next.Configs.OrderBy(c => c.Key).Select(c => $"{c.Key}={c.Value}")));
        }

        return result;
    }

    /// <summary>Persists a change, publishes it locally, then pushes it to the registry (the order readers rely on).</summary>
    private async Task<AdminResult> Commit(TopicState next)
    {
        await Persist(next);
        await WaitForBackgroundPush(); // one push at a time, so the registry never ends on an older state

        // Set until the registry confirms: if the push fails (its silo stopping, say), the next Reconcile pushes again,
        // since an election that finds nothing more to change would otherwise never tell the registry.
        _registryBehind = true;
        var registry = GrainFactory.GetGrain<ITopicRegistrySync>(ITopicRegistryGrain.Key);
        bool applied;
        try
        {
            // Bounded: this grain is the controller of its partitions, and a registry that does not answer (its silo
            // going, a call lost with it) must not hold every claim and election here for Orleans' 30 s response timeout.
            // The change is committed already; the registry's copy catches up at the next Reconcile.
            applied = await registry.TopicChanged(_info!).WaitAsync(RegistryPushTimeout);
        }
        catch (TimeoutException)
        {
            TopicLog.RegistryPushDeferred(logger, Name);
            return AdminResult.Ok;
        }

        _registryBehind = false;
        if (applied)
        {
            return AdminResult.Ok;
        }

        // Deleted while we were writing: the registry's Clear call follows and wipes this state.
        TopicLog.ChangeRacedWithDelete(logger, Name, next.TopicId);
        return UnknownTopic;
    }

    /// <summary>
    /// Persists partition states (elections, claims, ISR changes) and leaves the registry push to the background: the
    /// controller's decisions must not wait for the registry, whose activation may be moving off a dead silo (that wait,
    /// up to <see cref="RegistryPushTimeout"/>, was most of a failover when the registry died with the leader). Readers of
    /// leadership (placement, partitions, followers) ask this grain; the registry's copy feeds Metadata and catches up.
    /// </summary>
    private async Task PersistPartitionStates(TopicState next)
    {
        await Persist(next);
        PushToRegistryLater();
    }

    /// <summary>Starts pushing the latest state unless a push is running (which then pushes again for this change).</summary>
    private void PushToRegistryLater()
    {
        _registryBehind = true;
        if (_push is null || _push.IsCompleted)
        {
            _push = PushLatestAsync();
        }
    }

    private async Task PushLatestAsync()
    {
        var registry = GrainFactory.GetGrain<ITopicRegistrySync>(ITopicRegistryGrain.Key);
        while (_registryBehind && _info is { } latest)
        {
            _registryBehind = false;
            try
            {
                // A false answer means the topic was deleted meanwhile; the registry's Clear call follows and wipes this state.
                await registry.TopicChanged(latest).WaitAsync(RegistryPushTimeout);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _registryBehind = true; // the next Reconcile starts it again
                TopicLog.RegistryPushDeferred(logger, Name);
                return;
            }
        }
    }

    private async Task WaitForBackgroundPush()
    {
        if (_push is { IsCompleted: false } push)
        {
            await push; // never throws: failures are logged and left to Reconcile
        }
    }

    /// <summary>Writes the state; on failure the previous state is put back so nothing unpersisted is ever served.</summary>
    private async Task Persist(TopicState next)
    {
        var previous = state.State;
        state.State = next;
        try
        {
            await state.WriteStateAsync();
        }
        catch
        {
            state.State = previous;
            throw;
        }

        _info = Snapshot(next);
    }

    private async Task ClearState()
    {
        await state.ClearStateAsync();
        state.State = new TopicState();
        _info = null;
    }

    private TopicInfo Snapshot(TopicState s) => s.ToInfo(Name);

    private static readonly AdminResult UnknownTopic =
        new(KafkaErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition.");
}
