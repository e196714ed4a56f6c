using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.MetadataResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Metadata v0-v12: the live gateways as the cluster's brokers (the lowest node id as controller), and the requested (or all)
/// topics with partitions, leaders and replicas; auto-creates missing topics when both the client and
/// auto.create.topics.enable allow it.
/// <para>Topic metadata names silo ids (a partition's leader is the silo owning its files); the
/// <see cref="GatewayDirectory"/> turns them into broker ids: the gateway beside the owning silo when one is live, else
/// this gateway, or -1 with LEADER_NOT_AVAILABLE when the owning silo is down.</para>
/// </summary>
internal sealed class MetadataHandler(
    IGrainFactory grains, BrokerEndpoint endpoint, GatewayDirectory directory, IOptions<BrokerOptions> options, ILogger<MetadataHandler> logger)
    : KafkaApiHandler<MetadataRequest, MetadataResponse>
{
    private readonly BrokerOptions _options = options.Value;

    public override ApiKey ApiKey => ApiKey.Metadata;

    public override short MinVersion => 0;

    public override short MaxVersion => 12;

    protected override async ValueTask<MetadataResponse?> HandleAsync(KafkaRequestContext context, MetadataRequest request, short version, CancellationToken cancellationToken)
    {
        var registry = grains.GetGrain<ITopicRegistryGrain>(ITopicRegistryGrain.Key);
        var includeTopicOperations = version >= 8 && request.IncludeTopicAuthorizedOperations;
        var response = new MetadataResponse
        {
            Brokers = [new MetadataResponseBroker { NodeId = endpoint.NodeId, Host = endpoint.Host(context.LocalEndPoint), Port = endpoint.Port(context.LocalEndPoint), Rack = null }],
            ClusterId = _options.ClusterId,
            ControllerId = directory.ControllerId(),
            Topics = [],
        };
        foreach (var gateway in directory.OtherGateways())
        {
            response.Brokers.Add(new MetadataResponseBroker { NodeId = gateway.NodeId, Host = gateway.Host, Port = gateway.Port, Rack = null });
        }

        if (version is >= 8 and <= 10)
        {
            response.ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AuthorizedOperations.Cluster : AuthorizedOperations.NotRequested;
        }

        // v0: an empty list means all topics; v1+: null means all, empty means none.
        var allTopics = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (allTopics)
        {
            foreach (var topic in await registry.ListTopics().ConfigureAwait(false))
            {
                response.Topics.Add(Describe(topic, includeTopicOperations, version));
            }

            return response;
        }

        // Kafka lets the client veto auto-creation from v4 on; before that only the broker setting counts.
        var autoCreate = _options.AutoCreateTopicsEnable && (version < 4 || request.AllowAutoTopicCreation);
        var lookups = new List<Task<MetadataResponseTopic>>();
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new HashSet<Guid>();
        foreach (var requested in request.Topics!)
        {
            if (requested.Name is null)
            {
                if (version < 12 || requested.TopicId == Guid.Empty)
                {
                    lookups.Add(Task.FromResult(Error(KafkaErrorCode.InvalidRequest, version < 12 ? string.Empty : null, requested.TopicId, version)));
                }
                else if (seenIds.Add(requested.TopicId))
                {
                    lookups.Add(RetriableOnFailure(LookupByIdAsync(registry, requested.TopicId, includeTopicOperations, version), null, requested.TopicId, includeTopicOperations, version));
                }
            }
            else if (seenNames.Add(requested.Name))
            {
                lookups.Add(RetriableOnFailure(LookupByNameAsync(registry, requested.Name, autoCreate, includeTopicOperations, version), requested.Name, Guid.Empty, includeTopicOperations, version));
            }
        }

        response.Topics.AddRange(await Task.WhenAll(lookups).ConfigureAwait(false));
        return response;
    }

    /// <summary>
    /// A topic whose lookup fails or takes longer than <see cref="PartitionCalls.RegistryPatience"/> (the registry's silo
    /// just died and its activation is moving) is described from its topic grain, or else answered LEADER_NOT_AVAILABLE,
    /// which clients retry soon, rather than by closing the connection, after which librdkafka backs off reconnecting.
    /// </summary>
    private async Task<MetadataResponseTopic> RetriableOnFailure(Task<MetadataResponseTopic> lookup, string? name, Guid topicId, bool includeOperations, short version)
    {
        try
        {
            return await lookup.WaitAsync(PartitionCalls.RegistryPatience).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            GatewayLog.MetadataLookupFailed(logger, ex, name ?? topicId.ToString());
        }

        // The topic's own grain holds the authoritative state and does not depend on the registry's activation.
        if (name is not null)
        {
            try
            {
                if (await grains.GetGrain<ITopicGrain>(name).GetInfo().WaitAsync(PartitionCalls.RegistryPatience).ConfigureAwait(false) is { } topic)
                {
                    return Describe(topic, includeOperations, version);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                GatewayLog.MetadataLookupFailed(logger, ex, name);
            }
        }

        return Error(KafkaErrorCode.LeaderNotAvailable, name, topicId, version);
    }

    private async Task<MetadataResponseTopic> LookupByIdAsync(ITopicRegistryGrain registry, Guid topicId, bool includeOperations, short version)
    {
        var topic = await registry.GetTopicById(topicId).ConfigureAwait(false);
        return topic is null ? Error(KafkaErrorCode.UnknownTopicId, null, topicId, version) : Describe(topic, includeOperations, version);
    }

    private async Task<MetadataResponseTopic> LookupByNameAsync(ITopicRegistryGrain registry, string name, bool autoCreate, bool includeOperations, short version)
    {
        if (TopicNames.Validate(name) is not null)
        {
            return Error(KafkaErrorCode.InvalidTopicException, name, Guid.Empty, version);
        }

        var topic = await registry.GetTopic(name).ConfigureAwait(false);
        if (topic is not null)
        {
            return Describe(topic, includeOperations, version);
        }

        if (!autoCreate)
        {
            return Error(KafkaErrorCode.UnknownTopicOrPartition, name, Guid.Empty, version);
        }

        var spec = new CreateTopicSpec(name, _options.NumPartitions, _options.DefaultReplicationFactor, null, new Dictionary<string, string?>());
        var created = await registry.CreateTopic(spec, validateOnly: false).ConfigureAwait(false);
        GatewayLog.TopicAutoCreated(logger, name, _options.NumPartitions, created.Error);
        if (created.Error == KafkaErrorCode.None && created.Topic is not null)
        {
            return Describe(created.Topic, includeOperations, version);
        }

        if (created.Error == KafkaErrorCode.TopicAlreadyExists && await registry.GetTopic(name).ConfigureAwait(false) is { } raced)
        {
            // Another client created it in between: describe what exists.
            return Describe(raced, includeOperations, version);
        }

        // Kafka reports a topic it could not create with the creation's error (e.g. INVALID_REPLICATION_FACTOR).
        return Error(created.Error == KafkaErrorCode.None ? KafkaErrorCode.LeaderNotAvailable : created.Error, name, Guid.Empty, version);
    }

    private MetadataResponseTopic Describe(TopicInfo topic, bool includeOperations, short version)
    {
        var result = NewTopic(KafkaErrorCode.None, topic.Name, topic.TopicId, version);
        result.IsInternal = topic.IsInternal;
        if (includeOperations)
        {
            result.TopicAuthorizedOperations = AuthorizedOperations.Topic;
        }

        foreach (var partition in topic.Partitions.OrderBy(p => p.Index))
        {
            // Every gateway can serve every partition (it calls the partition's grain); the leader is only the one
            // that saves a hop. A replica without a gateway beside its silo is shown as the leader (or this gateway).
            var leader = directory.LeaderFor(partition.Leader);
            var fallback = leader >= 0 ? leader : endpoint.NodeId;
            result.Partitions.Add(new MetadataResponsePartition
            {
                ErrorCode = (short)(leader >= 0 ? KafkaErrorCode.None : KafkaErrorCode.LeaderNotAvailable),
                PartitionIndex = partition.Index,
                LeaderId = leader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas.Select(r => directory.BrokerFor(r, fallback)).Distinct()],
                IsrNodes = [.. partition.Isr.Where(directory.IsSiloLive).Select(r => directory.BrokerFor(r, fallback)).Distinct()],
                OfflineReplicas = [.. partition.Replicas.Where(r => !directory.IsSiloLive(r)).Select(r => directory.BrokerFor(r, fallback)).Distinct()],
            });
        }

        return result;
    }

    private static MetadataResponseTopic Error(KafkaErrorCode error, string? name, Guid topicId, short version) =>
        NewTopic(error, name, topicId, version);

    private static MetadataResponseTopic NewTopic(KafkaErrorCode error, string? name, Guid topicId, short version)
    {
        var topic = new MetadataResponseTopic
        {
            ErrorCode = (short)error,
            Name = name,
            TopicId = version >= 10 ? topicId : Guid.Empty,
            Partitions = [],
        };
        if (version >= 8)
        {
            topic.TopicAuthorizedOperations = AuthorizedOperations.NotRequested;
        }

        return topic;
    }
}
