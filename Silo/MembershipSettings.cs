using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;

namespace Orleans.Kafka.Silo;

/// <summary>
/// Binds Orleans' <see cref="ClusterMembershipOptions"/> from the section <c>Orleans:Membership</c> (keys are the
/// option names: <c>ProbeTimeout</c>, <c>NumMissedProbesLimit</c>, <c>NumVotesForDeathDeclaration</c>,
/// <c>TableRefreshTimeout</c>, <c>IAmAliveTablePublishTimeout</c>, <c>DeathVoteExpirationTimeout</c>, ...; time spans as
/// <c>hh:mm:ss</c>). Unset keys keep Orleans' defaults. Every silo of a cluster should use the same values: they decide
/// how fast a silo that stopped answering is declared dead (and its partitions reported unavailable).
/// </summary>
public static class MembershipSettings
{
    public const string SectionName = "Orleans:Membership";

    public static void Configure(ISiloBuilder silo, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(silo);
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection(SectionName));
    }
}
