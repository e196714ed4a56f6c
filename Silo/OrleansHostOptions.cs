namespace Orleans.Kafka.Silo;

/// <summary>Orleans endpoints of this silo (section <c>Orleans</c>).</summary>
public sealed class OrleansHostOptions
{
    public const string SectionName = "Orleans";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>Port for Orleans clients (.NET apps and, in cluster mode, gateways).</summary>
    public int GatewayPort { get; set; } = 30000;
}
