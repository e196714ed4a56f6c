using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>
/// The catalogue of topics (key "topics"). Its persisted state is the source of truth for which topics exist and their ids.
///
/// Consistency between the registry and topic grains:
/// <list type="bullet">
/// <item>Create: validate, write the topic grain first (<see cref="ITopicLifecycle.Initialize"/>), then persist the registry
///   entry. A crash in between leaves topic-grain state the registry does not list; the topic grain drops such leftovers
///   when it activates, and a later create overwrites them. The topic only becomes visible once the registry persisted it.</item>
/// <item>Delete: persist the removal first (the topic disappears for everyone), then clear the topic grain.</item>
/// <item>Changes made by a topic grain (partitions, configs) are persisted by that grain and then pushed here through
///   <see cref="ITopicRegistrySync.TopicChanged"/>, which replaces the cached <see cref="TopicInfo"/> only if the topic
///   still exists with the same id. The topic grain answers its caller only after the push, so reads of the registry
///   that follow a successful change see it.</item>
/// </list>
/// Leader election: <see cref="ITopicRegistryGrain.ReconcileLeaders"/> (called by every silo's
/// <see cref="Cluster.ReplicaFailoverWatcher"/> when membership changes) runs each topic grain's
/// <see cref="ITopicReplication.Reconcile"/>; a timer repeats it every <see cref="ReplicationOptions.ReconcileInterval"/>
/// for the topics whose cached state shows a partition needing it.
/// Create and delete are non-reentrant (so duplicate concurrent creates serialize: the first wins, the rest get
/// TOPIC_ALREADY_EXISTS); reads and TopicChanged interleave. Reads use <see cref="_view"/>, which is replaced in one
/// assignment after each successful write, and persistence is serialized through <see cref="Commit"/> because
/// TopicChanged can interleave with a create/delete.
/// </summary>
public sealed class TopicRegistryGrain : Grain, ITopicRegistryGrain, ITopicRegistrySync
{
    /// <summary>The grain storage provider every topic grain uses.</summary>
    public const string StorageName = "kafka";

    private readonly TopicRegistryStore _store;
    private readonly IOptions<BrokerOptions> _options;
    private readonly IReplicaPlacement _placement;
    private readonly IClusterMembershipService _membership;
    private readonly IOptions<ReplicationOptions> _replication;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<TopicRegistryGrain> _logger;
    private TopicRegistryView _view = TopicRegistryView.Empty;
    private Task _writeTail = Task.CompletedTask;

    /// <summary>The topic being created right now: its grain is initialized but the registry has not persisted it yet.</summary>
    private TopicInfo? _pending;

    public TopicRegistryGrain(
        IPersistentStateFactory stateFactory,
        IOptions<BrokerOptions> options,
        IReplicaPlacement placement,
        IClusterMembershipService membership,
        IOptions<ReplicationOptions> replication,
        IHostApplicationLifetime lifetime,
        ILogger<TopicRegistryGrain> logger)
    {
        _store = new TopicRegistryStore(stateFactory, GrainContext, StorageName);
        _options = options;
        _placement = placement;
        _membership = membership;
        _replication = replication;
        _lifetime = lifetime;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _view = new TopicRegistryView(_store.Load());
        var interval = _replication.Value.ReconcileInterval;
        if (interval > TimeSpan.Zero)
        {
            // Not KeepAlive: the registry stays active anyway while silos poll it for the replication metrics.
            this.RegisterGrainTimer(_ => ReconcileWhereNeeded(), new GrainTimerCreationOptions(interval, interval) { Interleave = true });
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<TopicInfo>> ListTopics() => Task.FromResult(_view.Topics);

    public Task<TopicInfo?> GetTopic(string name) => Task.FromResult(name is null ? null : _view.ByName(name));

    public Task<TopicInfo?> GetTopicById(Guid topicId) => Task.FromResult(_view.ById(topicId));

    public async Task<CreateTopicResult> CreateTopic(CreateTopicSpec spec, bool validateOnly)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var nameError = TopicNames.Validate(spec.Name);
        if (nameError is not null)
        {
            return Failed(KafkaErrorCode.InvalidTopicException, nameError);
        }

        if (_view.ByName(spec.Name) is not null)
        {
            return Failed(KafkaErrorCode.TopicAlreadyExists, $"Topic '{spec.Name}' already exists.");
        }

        if (_view.CollidingName(spec.Name) is { } colliding)
        {
            return Failed(KafkaErrorCode.InvalidTopicException, $"Topic '{spec.Name}' collides with existing topic: {colliding}");
        }

        var plan = new TopicCreationPlanner(_options.Value, _placement).Plan(spec);
        if (!plan.Outcome.IsOk)
        {
            return Failed(plan.Outcome.Error, plan.Outcome.Message);
        }

        var configs = TopicConfigCatalog.Describe(plan.Overrides, keys: null, includeSynonyms: false, includeDocumentation: false);
        if (validateOnly)
        {
            // Nothing is created, so there is no id yet: Guid.Empty marks the would-be topic.
            var wouldBe = new TopicInfo(spec.Name, Guid.Empty, plan.Partitions, plan.Overrides, TopicNames.IsInternal(spec.Name));
            return new CreateTopicResult(KafkaErrorCode.None, null, wouldBe, configs);
        }

        var topicGrain = GrainFactory.GetGrain<ITopicLifecycle>(spec.Name);
        _pending = new TopicInfo(spec.Name, Guid.NewGuid(), plan.Partitions, plan.Overrides, TopicNames.IsInternal(spec.Name));
        try
        {
            await topicGrain.Initialize(_pending);

            // Changes the topic grain pushes before the registry has the topic only update _pending (see TopicChanged),
            // so commit until what is stored is the latest snapshot. No await lies between the last check and clearing
            // _pending, so no change can slip through.
            var created = _pending;
            try
            {
                await Commit(created.Name, view => view.With(created));
                while (!ReferenceEquals(_pending, created))
                {
                    created = _pending;
                    await Commit(created.Name, view => view.With(created));
                }
            }
            catch
            {
                // The registry did not record the topic, so it does not exist: take the topic grain's copy back
                // rather than let that activation serve a topic nobody can list.
                await topicGrain.Clear(created.TopicId);
                throw;
            }

            TopicLog.TopicCreated(_logger, created.Name, created.TopicId, created.Partitions.Count, created.Partitions[0].Replicas.Count);
            return new CreateTopicResult(KafkaErrorCode.None, null, created, configs);
        }
        finally
        {
            _pending = null;
        }
    }

    public Task ReconcileLeaders() => Reconcile(_view.Topics);

    /// <summary>
    /// The periodic safety net: only topics whose cached state shows a partition that election would change (a leader
    /// or ISR member that is not live, an offline partition that could come back), so idle topic grains stay idle.
    /// </summary>
    private Task ReconcileWhereNeeded()
    {
        var snapshot = _membership.CurrentSnapshot;
        if (!SiloIds.InUse(snapshot))
        {
            return Task.CompletedTask;
        }

        var live = SiloIds.Live(snapshot).Keys.ToHashSet();
        return Reconcile([.. _view.Topics.Where(t => PartitionElection.NeedsElection(t, live))]);
    }

    /// <summary>
    /// Runs every topic's election in parallel; a failing topic is logged and retried by the next round. Each call is
    /// bounded (<see cref="ReplicationOptions.ReconcileCallTimeout"/>) and abandoned when this silo stops: a call to a
    /// topic grain that is deactivating with its silo can hang until the response timeout, and this request would hold
    /// the registry's own deactivation (and the silo's shutdown) that long. The other silos' watchers retry elsewhere.
    /// </summary>
    private async Task Reconcile(IReadOnlyList<TopicInfo> topics)
    {
        var stopping = _lifetime.ApplicationStopping;
        var timeout = _replication.Value.ReconcileCallTimeout;
        await Task.WhenAll(topics.Select(async topic =>
        {
            try
            {
                await GrainFactory.GetGrain<ITopicReplication>(topic.Name).Reconcile().WaitAsync(timeout, stopping);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                TopicLog.ReconcileAbandoned(_logger, topic.Name);
            }
            catch (Exception ex)
            {
                // Never thrown to the caller (a membership watcher): the other topics' elections must still happen.
                TopicLog.ReconcileFailed(_logger, topic.Name, ex);
            }
        }));
    }

    public async Task<DeleteTopicResult> DeleteTopic(string? name, Guid topicId)
    {
        TopicInfo? topic;
        if (name is not null)
        {
            topic = _view.ByName(name);
            if (topic is null)
            {
                return new DeleteTopicResult(KafkaErrorCode.UnknownTopicOrPartition, "This server does not host this topic-partition.", name, topicId);
            }
        }
        else if (topicId == Guid.Empty)
        {
            return new DeleteTopicResult(KafkaErrorCode.InvalidRequest, "Neither a topic name nor a topic id was given.", null, topicId);
        }
        else
        {
            topic = _view.ById(topicId);
            if (topic is null)
            {
                return new DeleteTopicResult(KafkaErrorCode.UnknownTopicId, "This server does not host this topic ID.", null, topicId);
            }
        }

        if (!_options.Value.DeleteTopicEnable)
        {
            return new DeleteTopicResult(KafkaErrorCode.TopicDeletionDisabled, "Topic deletion is disabled.", topic.Name, topic.TopicId);
        }

        await Commit(topic.Name, view => view.Without(topic.Name));
        await GrainFactory.GetGrain<ITopicLifecycle>(topic.Name).Clear(topic.TopicId);
        await Partitions.PartitionDataCleanup.DeleteAsync(GrainFactory, topic, _logger);
        TopicLog.TopicDeleted(_logger, topic.Name, topic.TopicId);
        return new DeleteTopicResult(KafkaErrorCode.None, null, topic.Name, topic.TopicId);
    }

    public async Task<bool> TopicChanged(TopicInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        if (_pending is not null && _pending.TopicId == info.TopicId)
        {
            _pending = info;
            return true;
        }

        // Decided inside the write gate, against the view as it is then: a delete may be persisting right now.
        var applied = false;
        await Commit(info.Name, view =>
        {
            applied = view.ByName(info.Name)?.TopicId == info.TopicId;
            return applied ? view.With(info) : null;
        });
        return applied;
    }

    /// <summary>
    /// Applies <paramref name="change"/> (which touches only <paramref name="topic"/>) to the committed view and persists
    /// that topic's bucket, one write at a time: an interleaved TopicChanged can overlap a create or delete, and each must
    /// build on the other's result rather than on a view read before it waited. The change returns null when there is
    /// nothing to write. The new view is published only once storage accepted it.
    /// </summary>
    private async Task Commit(string topic, Func<TopicRegistryView, TopicRegistryView?> change)
    {
        var previous = _writeTail;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _writeTail = done.Task;
        try
        {
            await previous;
            if (change(_view) is { } next)
            {
                await _store.SaveBucketOf(topic, next);
                _view = next;
            }
        }
        finally
        {
            done.SetResult();
        }
    }

    private static CreateTopicResult Failed(KafkaErrorCode code, string? message) => new(code, message, null, null);
}
