using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Kafka.Silo.Sql;
using Orleans.Kafka.Storage;

namespace Orleans.Kafka.Silo;

/// <summary>
/// Chooses how a silo finds its peers and where grain state lives:
/// embedded (localhost clustering, file grain state under <c>{log.dirs}/metadata</c>) or
/// PostgreSQL (Orleans' ADO.NET clustering, grain storage and reminders over Npgsql, schema applied at start-up).
/// Partition logs stay on the silo's own disk under <c>log.dirs</c> in both modes.
/// </summary>
public static class ClusteringSetup
{
    /// <summary>ADO.NET invariant name of Npgsql, as Orleans' providers know it.</summary>
    public const string NpgsqlInvariant = "Npgsql";

    public static void Configure(ISiloBuilder silo, ClusteringSettings settings, string storageName, string metadataDirectory)
    {
        if (!settings.UsePostgres)
        {
            silo.UseLocalhostClustering(settings.SiloPort, settings.GatewayPort);
            silo.AddKafkaFileGrainStorage(storageName, o => o.RootDirectory = metadataDirectory);
            return;
        }

        var connectionString = settings.ConnectionString!;
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        silo.ConfigureEndpoints(settings.AdvertisedAddress, settings.SiloPort, settings.GatewayPort, settings.ListenOnAnyHostAddress);
        silo.UseAdoNetClustering(o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = connectionString;
        });
        silo.AddAdoNetGrainStorage(storageName, o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = connectionString;
        });
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = connectionString;
        });
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp =>
            new SchemaInstaller(connectionString, sp.GetRequiredService<ILogger<SchemaInstaller>>()));
        SiloIdGuard.AddTo(silo, settings);
    }

    /// <summary>
    /// The same clustering for an Orleans client (a standalone gateway process): localhost clustering against
    /// <c>Orleans:GatewayPort</c> in embedded mode, the ADO.NET gateway list in PostgreSQL mode (same ClusterId, ServiceId
    /// and database as the silos). Clients never apply the schema: a silo or <c>init-db</c> does.
    /// </summary>
    public static void ConfigureClient(IClientBuilder client, ClusteringSettings settings)
    {
        if (!settings.UsePostgres)
        {
            client.UseLocalhostClustering(settings.GatewayPort);
            return;
        }

        client.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = settings.ClusterId;
            o.ServiceId = settings.ServiceId;
        });
        client.UseAdoNetClustering(o =>
        {
            o.Invariant = NpgsqlInvariant;
            o.ConnectionString = settings.ConnectionString;
        });
    }

    /// <summary>
    /// Applies the schema in the silo's first lifecycle stage, before membership, storage and reminders read their queries,
    /// so no one ever runs the scripts by hand. Waits for a database that is still starting (containers) up to a deadline.
    /// </summary>
    private sealed class SchemaInstaller(string connectionString, ILogger<SchemaInstaller> logger) : ILifecycleParticipant<ISiloLifecycle>
    {
        private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

        public void Participate(ISiloLifecycle lifecycle) =>
            lifecycle.Subscribe(nameof(SchemaInstaller), ServiceLifecycleStage.First, ApplyAsync);

        private async Task ApplyAsync(CancellationToken cancellationToken)
        {
            var deadline = DateTimeOffset.UtcNow + Patience;
            var delay = TimeSpan.FromMilliseconds(250);
            while (true)
            {
                try
                {
                    await PostgresSchema.ApplyAsync(connectionString, logger, cancellationToken);
                    return;
                }
                catch (NpgsqlException e) when (e.IsTransient && DateTimeOffset.UtcNow < deadline)
                {
                    SchemaLog.DatabaseNotReachable(logger, e.Message, deadline);
                    await Task.Delay(delay, cancellationToken);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
                }
            }
        }
    }
}
