using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Hosting;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Grains.Cluster;
using Orleans.Runtime;

namespace Orleans.Kafka.Silo;

/// <summary>
/// Refuses to start a silo (cluster mode) whose silo id another member already holds at a different endpoint: two silos
/// with one id would both claim the partitions of that id, each with its own files. Runs before the silo joins
/// membership, reading the PostgreSQL membership table (silo ids travel there as the silo name, see <see cref="SiloIds"/>).
/// A silo restarting on its own endpoint (address and silo port) is not a duplicate: Orleans supersedes the older
/// generation, which is how a crashed silo comes back.
/// </summary>
public sealed partial class SiloIdGuard(string connectionString, string clusterId, string address, int port, ISiloIdentity? identity, ILogger<SiloIdGuard> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    public static void AddTo(ISiloBuilder silo, ClusteringSettings settings)
    {
        silo.Services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => new SiloIdGuard(
            settings.ConnectionString!, settings.ClusterId, settings.AdvertisedAddress.ToString(), settings.SiloPort,
            sp.GetService<ISiloIdentity>(), sp.GetRequiredService<ILogger<SiloIdGuard>>()));
    }

    public void Participate(ISiloLifecycle lifecycle)
    {
        // A silo without a silo id (a host that does not call UseKafkaSiloIdentity) has nothing to guard.
        if (identity is null) return;

        // After the schema installer (stage First), before membership joins the cluster.
        lifecycle.Subscribe(nameof(SiloIdGuard), ServiceLifecycleStage.RuntimeInitialize - 1, CheckAsync);
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var siloId = identity!.SiloId;
        var name = SiloIds.ToSiloName(siloId);
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT Address, Port, Generation, Status FROM OrleansMembershipTable " +
            "WHERE DeploymentId = @cluster AND SiloName = @name AND Status IN (@joining, @active) AND NOT (Address = @address AND Port = @port)",
            connection);
        command.Parameters.AddWithValue("cluster", clusterId);
        command.Parameters.AddWithValue("name", name);
        command.Parameters.AddWithValue("joining", (int)SiloStatus.Joining);
        command.Parameters.AddWithValue("active", (int)SiloStatus.Active);
        command.Parameters.AddWithValue("address", address);
        command.Parameters.AddWithValue("port", port);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            LogIdFree(logger, siloId);
            return;
        }

        var holder = $"{reader.GetString(0)}:{reader.GetInt32(1)} (generation {reader.GetInt32(2)}, {(SiloStatus)reader.GetInt32(3)})";
        throw new SiloIdInUseException(
            $"silo id {siloId} is already held by the {((SiloStatus)reader.GetInt32(3)).ToString().ToLowerInvariant()} silo at {holder} " +
            $"in cluster '{clusterId}'; this silo ({address}:{port}) refuses to start. Give each silo its own log.dirs " +
            $"(the id is kept in {{log.dirs}}/{FileSiloIdentity.FileName}) and node.id. If that silo has just crashed, start " +
            "it again on its own endpoint, or wait until membership declares it dead.");
    }

    [LoggerMessage(EventId = 6301, Level = LogLevel.Information, Message = "Silo id {SiloId} is not held by another live silo")]
    private static partial void LogIdFree(ILogger logger, int siloId);
}

/// <summary>Another live member of the cluster holds this silo's id at a different endpoint.</summary>
public sealed class SiloIdInUseException : Exception
{
    public SiloIdInUseException(string message) : base(message) { }

    public SiloIdInUseException(string message, Exception inner) : base(message, inner) { }

    public SiloIdInUseException() { }
}
