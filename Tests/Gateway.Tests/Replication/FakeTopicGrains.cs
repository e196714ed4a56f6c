using System.Reflection;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>
/// Topic grains with chosen replication states (a partition without leader, a reassignment in progress, a call that
/// never answers), states a single-silo cluster cannot reach on demand, for running the gateway handlers directly.
/// </summary>
internal sealed class FakeTopicGrains
{
    private readonly Dictionary<string, TopicInfo> _topics = new(StringComparer.Ordinal);

    /// <summary>What the topic grains answer to AlterReassignment (topic, partition, target); a never-completing task simulates a stuck controller.</summary>
    public Func<string, int, IReadOnlyList<int>?, Task<AdminResult>> Alter { get; set; } = (_, _, _) => Task.FromResult(AdminResult.Ok);

    public List<(string Topic, int Partition, IReadOnlyList<int>? Target)> AlterCalls { get; } = [];

    /// <summary>Topic names whose registry lookup throws (as a call to a registry on a silo that just died does).</summary>
    public HashSet<string> FailingLookups { get; } = new(StringComparer.Ordinal);

    /// <summary>Topic names whose topic grain's GetInfo throws too.</summary>
    public HashSet<string> FailingTopicGrains { get; } = new(StringComparer.Ordinal);

    public FakeTopicGrains Add(string name, params PartitionInfo[] partitions)
    {
        _topics[name] = new TopicInfo(name, Guid.NewGuid(), partitions, new Dictionary<string, string>());
        return this;
    }

    /// <summary>An <see cref="IGrainFactory"/> handing out the fake registry and topic grains (every other call is unsupported).</summary>
    public IGrainFactory Factory()
    {
        var factory = DispatchProxy.Create<IGrainFactory, GrainFactoryProxy>();
        ((GrainFactoryProxy)(object)factory).Grains = this;
        return factory;
    }

    /// <summary>A standalone gateway, node 1, beside silo 1, with a gateway (node 2) beside silo 2; silos 1-3 live.</summary>
    public static (BrokerEndpoint Endpoint, GatewayDirectory Directory) TwoGatewayView()
    {
        var endpoint = new BrokerEndpoint(Microsoft.Extensions.Options.Options.Create(new BrokerOptions { NodeId = 1 }));
        var directory = new GatewayDirectory(endpoint, new FixedSilo(1));
        directory.Update(new ClusterView([new GatewayRegistration(2, "127.0.0.1", 9093, 2)], [1, 2, 3]));
        return (endpoint, directory);
    }

    public static async Task<TResponse> HandleAsync<TResponse>(IKafkaApiHandler handler, Orleans.Kafka.Protocol.IRequest request, short version)
        where TResponse : class
    {
        var header = new Orleans.Kafka.Protocol.RequestHeader { RequestApiKey = (short)request.ApiKey, RequestApiVersion = version, CorrelationId = 1, ClientId = "gateway-tests" };
        var response = await handler.HandleAsync(new KafkaRequestContext("fake-grains", null, null, header), request, version, CancellationToken.None);
        return Assert.IsType<TResponse>(response);
    }

    private sealed class FixedSilo(int siloId) : ISiloIdentity
    {
        public int SiloId => siloId;
    }

    /// <summary>Answers GetGrain&lt;ITopicRegistryGrain&gt; and GetGrain&lt;ITopicGrain&gt;(name); nothing else is needed by the handlers.</summary>
    public class GrainFactoryProxy : DispatchProxy
    {
        internal FakeTopicGrains Grains { get; set; } = null!;

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod is { Name: nameof(IGrainFactory.GetGrain) } && args is [string key, ..])
            {
                if (targetMethod.ReturnType == typeof(ITopicRegistryGrain))
                {
                    return new Registry(Grains);
                }

                if (targetMethod.ReturnType == typeof(ITopicGrain))
                {
                    return new Topic(Grains, key);
                }
            }

            throw new NotSupportedException($"FakeTopicGrains does not serve {targetMethod}.");
        }
    }

    private sealed class Registry(FakeTopicGrains grains) : ITopicRegistryGrain
    {
        public Task<IReadOnlyList<TopicInfo>> ListTopics() => Task.FromResult<IReadOnlyList<TopicInfo>>([.. grains._topics.Values]);

        public Task<TopicInfo?> GetTopic(string name) => grains.FailingLookups.Contains(name)
            ? Task.FromException<TopicInfo?>(new SiloUnavailableException("the registry's silo is gone"))
            : Task.FromResult(grains._topics.GetValueOrDefault(name));

        public Task<TopicInfo?> GetTopicById(Guid topicId) => Task.FromResult(grains._topics.Values.FirstOrDefault(t => t.TopicId == topicId));

        public Task<CreateTopicResult> CreateTopic(CreateTopicSpec spec, bool validateOnly) => throw new NotSupportedException();

        public Task<DeleteTopicResult> DeleteTopic(string? name, Guid topicId) => throw new NotSupportedException();

        public Task ReconcileLeaders() => throw new NotSupportedException();
    }

    private sealed class Topic(FakeTopicGrains grains, string name) : ITopicGrain
    {
        public Task<TopicInfo?> GetInfo() => grains.FailingTopicGrains.Contains(name)
            ? Task.FromException<TopicInfo?>(new SiloUnavailableException("the topic grain's silo is gone"))
            : Task.FromResult(grains._topics.GetValueOrDefault(name));

        public Task<AdminResult> AlterReassignment(int partition, IReadOnlyList<int>? targetReplicas)
        {
            lock (grains.AlterCalls)
            {
                grains.AlterCalls.Add((name, partition, targetReplicas));
            }

            return grains.Alter(name, partition, targetReplicas);
        }

        public Task<AdminResult> CreatePartitions(int totalCount, IReadOnlyList<IReadOnlyList<int>>? assignments, bool validateOnly) => throw new NotSupportedException();

        public Task<DescribeConfigsResult> DescribeConfigs(IReadOnlyList<string>? keys, bool includeSynonyms, bool includeDocumentation) => throw new NotSupportedException();

        public Task<AdminResult> ReplaceConfigs(IReadOnlyDictionary<string, string?> configs, bool validateOnly) => throw new NotSupportedException();

        public Task<AdminResult> AlterConfigs(IReadOnlyList<ConfigAlteration> alterations, bool validateOnly) => throw new NotSupportedException();
    }
}
