using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orleans.Kafka.Silo.Sql;

/// <summary>
/// Applies the cluster-mode database schema: Orleans' ADO.NET scripts (vendored under <c>Sql/orleans/</c>, embedded in
/// this assembly) and anything of ours. Idempotent and safe to run from several silos at once: each script runs once,
/// in its own transaction, recorded in <c>okafka_schema_version</c>, all under a PostgreSQL advisory lock.
/// </summary>
public static class PostgresSchema
{
    /// <summary>The table of ours that records which scripts a database has had.</summary>
    public const string VersionTable = "okafka_schema_version";

    /// <summary>Advisory lock key ("okafka" in ASCII) that serialises schema installers of every silo on one database.</summary>
    private const long LockKey = 0x6F6B61666B61;

    private const string ResourcePrefix = "okafka.sql.";

    /// <summary>The scripts in the order they are applied: (name, SQL text).</summary>
    public static IReadOnlyList<(string Name, string Sql)> Scripts { get; } = LoadScripts();

    /// <summary>Applies every script the database has not had yet; returns the names of those it applied now.</summary>
    public static async Task<IReadOnlyList<string>> ApplyAsync(string connectionString, ILogger logger, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await ExecuteAsync(connection, null, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            await ExecuteAsync(connection, null,
                $"CREATE TABLE IF NOT EXISTS {VersionTable} (script varchar(200) PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                cancellationToken);
            var done = await AppliedAsync(connection, cancellationToken);
            var applied = new List<string>();
            foreach (var (name, sql) in Scripts)
            {
                if (done.Contains(name)) continue;
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, WithoutOwnTransaction(sql), cancellationToken);
                await using (var record = new NpgsqlCommand($"INSERT INTO {VersionTable} (script) VALUES (@script)", connection, transaction))
                {
                    record.Parameters.AddWithValue("script", name);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                SchemaLog.ScriptApplied(logger, name);
                applied.Add(name);
            }

            if (applied.Count == 0) SchemaLog.SchemaUpToDate(logger, Scripts.Count);
            return applied;
        }
        finally
        {
            // A failed script leaves the connection usable (its transaction was rolled back by disposal), so the unlock runs;
            // closing the connection would release the session lock anyway.
            await ExecuteAsync(connection, null, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    /// <summary>
    /// Some of Orleans' migration scripts wrap themselves in BEGIN;/COMMIT;. The runner owns the transaction (so the
    /// script and its version row commit together), so those top-level lines are dropped; BEGIN inside function bodies
    /// has no semicolon and is untouched.
    /// </summary>
    internal static string WithoutOwnTransaction(string sql)
    {
        var lines = sql.Split('\n');
        return string.Join('\n', lines.Where(line => line.Trim().ToUpperInvariant() is not ("BEGIN;" or "BEGIN TRANSACTION;" or "COMMIT;")));
    }

    private static async Task<HashSet<string>> AppliedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        await using var command = new NpgsqlCommand($"SELECT script FROM {VersionTable}", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(string Name, string Sql)> LoadScripts()
    {
        var assembly = typeof(PostgresSchema).Assembly;
        var scripts = new List<(string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"embedded schema script {resource} is missing");
            using var reader = new StreamReader(stream);
            scripts.Add((resource[ResourcePrefix.Length..], reader.ReadToEnd()));
        }

        if (scripts.Count == 0) throw new InvalidOperationException($"no schema scripts embedded in {assembly.GetName().Name}");
        return scripts;
    }
}

internal static partial class SchemaLog
{
    [LoggerMessage(EventId = 6101, Level = LogLevel.Information, Message = "Database schema: applied {Script}")]
    public static partial void ScriptApplied(ILogger logger, string script);

    [LoggerMessage(EventId = 6102, Level = LogLevel.Information, Message = "Database schema: up to date ({Count} scripts)")]
    public static partial void SchemaUpToDate(ILogger logger, int count);

    [LoggerMessage(EventId = 6103, Level = LogLevel.Warning, Message = "Database not reachable yet ({Reason}); retrying until {Deadline:O}")]
    public static partial void DatabaseNotReachable(ILogger logger, string reason, DateTimeOffset deadline);
}
