using Orleans.Concurrency;

namespace Orleans.Kafka.Cluster;

/// <summary>
/// The live Kafka gateways of the cluster (one activation, key <see cref="Key"/>). Gateways heartbeat every second or
/// so; an entry not refreshed within the expiry (a few seconds) is dropped, so a dead gateway leaves Metadata quickly.
/// Soft state, not persisted: after a restart or a move of this grain every live gateway re-registers on its next
/// heartbeat, so persisting would only add a storage write per heartbeat and could resurrect dead entries.
/// </summary>
[Alias("okafka.IGatewayRegistryGrain")]
public interface IGatewayRegistryGrain : IGrainWithStringKey
{
    public const string Key = "gateways";

    /// <summary>Registers or refreshes <paramref name="gateway"/> and returns the cluster as it stands now.</summary>
    [Alias("Heartbeat")]
    Task<ClusterView> Heartbeat(GatewayRegistration gateway);

    /// <summary>Removes a gateway that is shutting down (others stop advertising it at once rather than after expiry).</summary>
    [Alias("Unregister")]
    Task Unregister(int nodeId);

    /// <summary>The live gateways and silos.</summary>
    [AlwaysInterleave, Alias("GetView")]
    Task<ClusterView> GetView();
}

/// <summary>A gateway as a broker: its node id, advertised address and the silo it runs beside (null when standalone).</summary>
[GenerateSerializer, Immutable, Alias("okafka.GatewayRegistration")]
public sealed record GatewayRegistration(
    [property: Id(0)] int NodeId,
    [property: Id(1)] string Host,
    [property: Id(2)] int Port,
    [property: Id(3)] int? SiloId);

/// <summary>
/// What a gateway needs to answer Metadata: the live gateways (by node id) and the silo ids of the live silos.
/// <see cref="LiveSiloIds"/> is null when no silo carries a silo id (test clusters without identities): then every
/// partition counts as available, as before cluster mode.
/// </summary>
[GenerateSerializer, Immutable, Alias("okafka.ClusterView")]
public sealed record ClusterView(
    [property: Id(0)] IReadOnlyList<GatewayRegistration> Gateways,
    [property: Id(1)] IReadOnlyList<int>? LiveSiloIds);
