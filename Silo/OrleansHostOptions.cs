namespace Orleans.Kafka.Silo;

/// <summary>Orleans endpoints and clustering of this silo (section <c>Orleans</c>).</summary>
public sealed class OrleansHostOptions
{
    public const string SectionName = "Orleans";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients (.NET apps and, in cluster mode, gateways).</summary>
    public int GatewayPort { get; set; } = 30000;

    /// <summary>
    /// <c>embedded</c> (default: one process, localhost clustering, file grain state) or <c>postgres</c>.
    /// Not named <c>Clustering</c>: Orleans itself reads <c>Orleans:Clustering</c> as its provider section and fails on a plain value.
    /// </summary>
    public string ClusteringMode { get; set; } = ClusteringModes.Embedded;

    /// <summary>Npgsql connection string (postgres mode); <c>DATABASE_URL</c> (postgres://...) is used when this is empty.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Orleans cluster id: silos and gateways with the same id and database form one cluster.</summary>
    public string ClusterId { get; set; } = "orleans-kafka";

    /// <summary>Orleans service id: the key of persisted grain state; keep it stable across deployments.</summary>
    public string ServiceId { get; set; } = "orleans-kafka";

    /// <summary>IP address (or host name, resolved at start-up) other silos and gateways reach this silo at (postgres mode).</summary>
    public string AdvertisedIPAddress { get; set; } = "127.0.0.1";

    /// <summary>Bind the silo and gateway ports on all interfaces instead of the advertised address only (containers).</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>
    /// Run the Kafka listener (co-hosted gateway) inside the silo (default). <c>false</c>: a storage-only silo that clients
    /// reach through standalone gateways only (the gateways then lead every partition themselves in Metadata).
    /// </summary>
    public bool KafkaListener { get; set; } = true;
}

/// <summary>The values of <see cref="OrleansHostOptions.ClusteringMode"/>.</summary>
public static class ClusteringModes
{
    public const string Embedded = "embedded";
    public const string Postgres = "postgres";
}
