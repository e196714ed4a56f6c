using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Kafka.Silo.Sql;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>Cluster mode against a real PostgreSQL: the schema installer, <c>init-db</c>, and silos forming one cluster.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class PostgresClusterTests(PostgresServer postgres, ITestOutputHelper log) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Schema_applied_twice_is_a_no_op()
    {
        var database = await postgres.CreateDatabaseAsync();

        var first = await PostgresSchema.ApplyAsync(database, NullLogger.Instance);
        var queries = await CountAsync(database, "SELECT count(*) FROM OrleansQuery");
        var second = await PostgresSchema.ApplyAsync(database, NullLogger.Instance);

        Assert.Equal(PostgresSchema.Scripts.Select(s => s.Name), first);
        Assert.Empty(second);
        Assert.Equal(queries, await CountAsync(database, "SELECT count(*) FROM OrleansQuery"));
        Assert.Equal(PostgresSchema.Scripts.Count, await CountAsync(database, $"SELECT count(*) FROM {PostgresSchema.VersionTable}"));
    }

    [Fact]
    public async Task Schema_applied_by_several_silos_at_once_is_applied_once()
    {
        var database = await postgres.CreateDatabaseAsync();

        var runs = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => PostgresSchema.ApplyAsync(database, NullLogger.Instance))));

        Assert.Equal(PostgresSchema.Scripts.Count, runs.Sum(r => r.Count));
        Assert.Equal(PostgresSchema.Scripts.Count, await CountAsync(database, $"SELECT count(*) FROM {PostgresSchema.VersionTable}"));
    }

    [Fact]
    public async Task Schema_holds_every_query_the_providers_require()
    {
        var database = await postgres.CreateDatabaseAsync();
        await PostgresSchema.ApplyAsync(database, NullLogger.Instance);

        string[] required =
        [
            // Clustering (membership and gateway list).
            "UpdateIAmAlivetimeKey", "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey",
            "MembershipReadRowKey", "MembershipReadAllKey", "DeleteMembershipTableEntriesKey", "GatewaysQueryKey",
            "CleanupDefunctSiloEntriesKey",
            // Grain persistence.
            "WriteToStorageKey", "ReadFromStorageKey", "ClearStorageKey",
            // Reminders.
            "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key", "ReadRangeRows2Key",
            "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];
        foreach (var key in required)
        {
            Assert.Equal(1, await CountAsync(database, $"SELECT count(*) FROM OrleansQuery WHERE QueryKey = '{key}'"));
        }
    }

    [Fact]
    public async Task Init_db_command_applies_the_schema_and_exits_zero()
    {
        var database = await postgres.CreateDatabaseAsync();

        var (exitCode, output) = await RunSiloCommandAsync("init-db", "--connection-string", database);

        Assert.True(exitCode == 0, output);
        Assert.Equal(PostgresSchema.Scripts.Count, await CountAsync(database, $"SELECT count(*) FROM {PostgresSchema.VersionTable}"));
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'orleansmembershiptable'"));
        Assert.Equal(1, await CountAsync(database, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'orleansstorage'"));
    }

    [Fact]
    public async Task Init_db_takes_the_database_from_DATABASE_URL()
    {
        var database = new NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync());
        var url = $"postgres://{database.Username}@{database.Host}:{database.Port}/{database.Database}?sslmode=disable&application_name=okafka-init";

        var (exitCode, output) = await RunSiloCommandAsync(new Dictionary<string, string> { ["DATABASE_URL"] = url }, "init-db");

        Assert.True(exitCode == 0, output);
        Assert.Equal(PostgresSchema.Scripts.Count, await CountAsync(database.ConnectionString, $"SELECT count(*) FROM {PostgresSchema.VersionTable}"));
    }

    [Fact]
    public void Database_url_becomes_an_npgsql_connection_string()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            Silo.PostgresConnectionString.FromUrl("postgresql://us%40er:p%3Ass@db.example:6543/kafka?sslmode=require"));

        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("kafka", builder.Database);
        Assert.Equal("us@er", builder.Username);
        Assert.Equal("p:ss", builder.Password);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Throws<Silo.ClusteringConfigurationException>(() => Silo.PostgresConnectionString.FromUrl("mysql://h/db"));
    }

    [Fact]
    public async Task Silo_in_postgres_mode_without_a_database_refuses_to_start_with_a_clear_message()
    {
        var (exitCode, output) = await RunSiloCommandAsync("--Orleans:ClusteringMode=postgres", "--Kafka:listener.port=0");

        Assert.Equal(2, exitCode);
        Assert.Contains("Orleans:ConnectionString", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_silos_on_one_database_form_one_cluster_and_keep_topics_across_a_full_restart()
    {
        var database = await postgres.CreateDatabaseAsync();
        var clusterId = "e2e-" + Guid.NewGuid().ToString("N")[..8];
        using var dirs1 = new TempDirectory();
        using var dirs2 = new TempDirectory();
        Uuid topicId;

        await using (var silo1 = await ClusterSiloProcess.StartAsync(database, clusterId, 1, dirs1.Path))
        await using (var silo2 = await ClusterSiloProcess.StartAsync(database, clusterId, 2, dirs2.Path))
        {
            using var _ = ShowOutputOnExit(silo1, silo2);
            Assert.Equal(2, await CountAsync(database, $"SELECT count(*) FROM OrleansMembershipTable WHERE DeploymentId = '{clusterId}' AND Status = 3"));

            // The topic registry grain is activated by one silo and reached from the other: one cluster, one catalogue.
            await KafkaClients.CreateTopicAsync(silo1.BootstrapServers, "shared", 3);
            topicId = await TopicIdAsync(silo1.BootstrapServers, "shared");
            Assert.Equal(topicId.ToString(), (await TopicIdAsync(silo2.BootstrapServers, "shared")).ToString());

            await Task.WhenAll(silo1.StopAsync(), silo2.StopAsync());
        }

        // Full cluster restart: both silos gone, state only in PostgreSQL (and each silo's partition files).
        await using var again1 = await ClusterSiloProcess.StartAsync(database, clusterId, 1, dirs1.Path);
        await using var again2 = await ClusterSiloProcess.StartAsync(database, clusterId, 2, dirs2.Path);
        using var __ = ShowOutputOnExit(again1, again2);
        Assert.Equal(topicId.ToString(), (await TopicIdAsync(again2.BootstrapServers, "shared")).ToString());
        Assert.Equal(topicId.ToString(), (await TopicIdAsync(again1.BootstrapServers, "shared")).ToString());
    }

    /// <summary>Writes the silos' last log lines to the test output when the test ends (shown when it fails).</summary>
    private OutputDump ShowOutputOnExit(params ClusterSiloProcess[] silos) => new(log, silos);

    private sealed class OutputDump(ITestOutputHelper log, ClusterSiloProcess[] silos) : IDisposable
    {
        public void Dump()
        {
            for (var i = 0; i < silos.Length; i++)
            {
                var lines = silos[i].Output.Split('\n');
                log.WriteLine($"--- silo {i + 1} (last {Math.Min(lines.Length, 60)} lines) ---");
                foreach (var line in lines.TakeLast(60)) log.WriteLine(line);
            }
        }

        public void Dispose() => Dump();
    }

    /// <summary>
    /// DescribeTopics through a fresh admin client, bounded and retried: the hang this test showed now and then was this call
    /// (a dump found the test awaiting Confluent's DescribeTopics task with no librdkafka thread left to complete it).
    /// </summary>
    private static async Task<Uuid> TopicIdAsync(string bootstrap, string topic)
    {
        for (var attempt = 1; ; attempt++)
        {
            var admin = KafkaClients.Admin(bootstrap);
            DescribeTopicsResult described;
            try
            {
                described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]), new DescribeTopicsOptions { RequestTimeout = TimeSpan.FromSeconds(15) })
                    .WaitAsync(TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException) when (attempt < 3)
            {
                continue; // the stuck client is left to the finalizer: disposing it could block on the same stuck state
            }

            admin.Dispose();
            var description = Assert.Single(described.TopicDescriptions);
            Assert.Equal(Confluent.Kafka.ErrorCode.NoError, description.Error.Code);
            return description.TopicId;
        }
    }

    private static async Task<long> CountAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task<(int ExitCode, string Output)> RunSiloCommandAsync(params string[] arguments) =>
        RunSiloCommandAsync(new Dictionary<string, string>(), arguments);

    private static async Task<(int ExitCode, string Output)> RunSiloCommandAsync(Dictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var (name, value) in environment) info.Environment[name] = value;
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo executable");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout + await stderr);
    }
}

/// <summary>
/// The PostgreSQL cluster tests run alone, after the parallel ones: with other brokers starting and stopping beside
/// them on the two cores, the two-silo test was seen to hang in full runs while it passes on its own. Running it
/// apart keeps CI reliable; the hang itself is recorded as an open point of the cluster-mode issue.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PostgresClusterCollection
{
    public const string Name = "PostgreSQL cluster";
}
