using System.Globalization;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>
/// Silo ids travel in Orleans membership as the silo's name (<c>silo-{id}</c>), so every silo and the placement
/// director learn which live address carries which id from membership itself, with no registry to keep in step.
/// Silos without an identity (test clusters named "Primary", "Secondary_1", ...) have no id.
/// </summary>
public static class SiloIds
{
    private const string Prefix = "silo-";

    public static string ToSiloName(int siloId) => Prefix + siloId.ToString(CultureInfo.InvariantCulture);

    public static bool TryParse(string? siloName, out int siloId)
    {
        siloId = -1;
        return siloName is not null
            && siloName.StartsWith(Prefix, StringComparison.Ordinal)
            && int.TryParse(siloName.AsSpan(Prefix.Length), NumberStyles.None, CultureInfo.InvariantCulture, out siloId);
    }

    /// <summary>Active silos that carry a silo id, by id (a duplicated id keeps the newest silo, the one that restarted).</summary>
    public static Dictionary<int, SiloAddress> Live(ClusterMembershipSnapshot snapshot)
    {
        var live = new Dictionary<int, SiloAddress>();
        foreach (var member in snapshot.Members.Values)
        {
            if (member.Status == SiloStatus.Active && TryParse(member.Name, out var id)
                && (!live.TryGetValue(id, out var other) || other.Generation < member.SiloAddress.Generation))
            {
                live[id] = member.SiloAddress;
            }
        }

        return live;
    }

    /// <summary>True when some silo of the cluster (live or not) carries a silo id: the cluster runs with identities.</summary>
    public static bool InUse(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values.Any(m => TryParse(m.Name, out _));
}
