using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;

namespace Orleans.Kafka.Grains.Cluster;

/// <summary>Gives a silo its stable silo id (cluster mode and the embedded broker).</summary>
public static class SiloIdentityExtensions
{
    /// <summary>
    /// Loads the silo id from <c>{logDirs}/silo.id</c> (written with <paramref name="initialId"/> on first start), registers
    /// it as <see cref="ISiloIdentity"/> and publishes it as the silo's name in membership. The broker host passes its
    /// node.id as the initial id, so a single broker's silo id equals its broker id and data written before silo ids
    /// existed (replicas = node.id) stays owned by it.
    /// </summary>
    public static ISiloBuilder UseKafkaSiloIdentity(this ISiloBuilder builder, string logDirs, int initialId)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var identity = FileSiloIdentity.Load(logDirs, initialId);
        builder.Services.AddSingleton<ISiloIdentity>(identity);

        // PostConfigure: the name must win over hosts (such as TestingHost) that name silos themselves.
        builder.Services.PostConfigure<SiloOptions>(o => o.SiloName = SiloIds.ToSiloName(identity.SiloId));
        return builder;
    }
}
