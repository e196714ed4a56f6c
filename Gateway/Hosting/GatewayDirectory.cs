using Orleans.Kafka.Cluster;

namespace Orleans.Kafka.Gateway.Hosting;

/// <summary>
/// This gateway's latest view of the cluster (from its last registry heartbeat): the other live gateways and which
/// silos are live. Metadata answers from it without a grain call. Before the first heartbeat (or when the registry
/// cannot be reached) the view is empty: the gateway lists only itself and treats every partition as available, which
/// is what a single broker answers.
/// </summary>
public sealed class GatewayDirectory(BrokerEndpoint endpoint, ISiloIdentity? colocatedSilo = null)
{
    private volatile ClusterView _view = new([], null);

    /// <summary>The silo this gateway runs beside (the co-hosted gateway of a silo), or null for a standalone gateway.</summary>
    public int? ColocatedSiloId => colocatedSilo?.SiloId;

    public ClusterView View => _view;

    internal void Update(ClusterView view) => _view = view;

    /// <summary>The live gateways other than this one, by node id.</summary>
    public IEnumerable<GatewayRegistration> OtherGateways() => _view.Gateways.Where(g => g.NodeId != endpoint.NodeId);

    /// <summary>
    /// The controller every gateway names: the lowest live node id (this gateway counted), so all gateways agree as
    /// Kafka's brokers do. Any gateway serves admin requests, so which one it is matters only for agreement.
    /// </summary>
    public int ControllerId()
    {
        var lowest = endpoint.NodeId;
        foreach (var gateway in _view.Gateways)
        {
            lowest = Math.Min(lowest, gateway.NodeId);
        }

        return lowest;
    }

    /// <summary>Whether silo <paramref name="siloId"/> is live (always true while silo ids are unknown).</summary>
    public bool IsSiloLive(int siloId) => _view.LiveSiloIds is not { } live || live.Contains(siloId);

    /// <summary>The node id of the live gateway beside silo <paramref name="siloId"/>, or null when there is none.</summary>
    public int? GatewayBeside(int siloId)
    {
        if (ColocatedSiloId == siloId)
        {
            return endpoint.NodeId;
        }

        foreach (var gateway in _view.Gateways)
        {
            if (gateway.SiloId == siloId)
            {
                return gateway.NodeId;
            }
        }

        return null;
    }

    /// <summary>
    /// The broker clients should send a partition's requests to: the gateway beside the owning silo (saves a hop), else
    /// one of the live gateways chosen by the silo id (every gateway reaches every partition through grain calls) — the
    /// same choice on every gateway with the same view, because Kafka clients expect every broker to name the same leader
    /// and follow whichever answered last; -1 when the owner is down.
    /// </summary>
    public int LeaderFor(int ownerSiloId) =>
        ownerSiloId < 0 || !IsSiloLive(ownerSiloId) ? -1 : GatewayBeside(ownerSiloId) ?? SharedGatewayFor(ownerSiloId);

    /// <summary>A live gateway picked by <paramref name="siloId"/> from the sorted live node ids (this gateway included).</summary>
    private int SharedGatewayFor(int siloId)
    {
        var nodes = _view.Gateways.Select(g => g.NodeId).Append(endpoint.NodeId).Distinct().Order().ToArray();
        return nodes[(int)((uint)siloId % (uint)nodes.Length)];
    }

    /// <summary>
    /// A replica's broker id: the gateway beside its silo; a silo that is down keeps its own id (with co-hosted gateways
    /// node.id = silo id, so this is how Kafka names an offline broker's replica, and the replica list keeps its length:
    /// ISR smaller than replicas is what <c>kafka-topics --under-replicated-partitions</c> looks for); else
    /// <paramref name="fallback"/> (a live silo without a gateway of its own).
    /// </summary>
    public int BrokerFor(int siloId, int fallback) => GatewayBeside(siloId) ?? (IsSiloLive(siloId) ? fallback : siloId);
}
