using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Silo.Sql;

namespace Orleans.Kafka.Silo;

/// <summary>
/// The executable's commands. With no command it runs the broker exactly as before: every token it does not know
/// (<c>--Kafka:listener.port=9093</c>, <c>--Orleans:ClusteringMode=postgres</c>, ...) is configuration, passed through
/// to the host unchanged. <c>init-db</c> applies the cluster-mode database schema and exits.
/// </summary>
public static class SiloCommandLine
{
    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRootCommand(args);
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        // The broker host handles SIGTERM/Ctrl+C itself (graceful silo shutdown); System.CommandLine must not race it.
        return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
    }

    private static RootCommand BuildRootCommand(string[] args)
    {
        var root = new RootCommand("Orleans.Kafka broker: an Orleans silo with a co-hosted Kafka gateway. " +
                                   "Settings: --Kafka:<kafka.name>=value, --Orleans:<Name>=value (or appsettings/environment).")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        root.SetAction(async _ => await RunBrokerAsync(args));
        root.Subcommands.Add(InitDbCommand());
        root.Subcommands.Add(GatewayCommand());
        // Further process kinds are subcommands here; Orleans clients get the silos'
        // clustering from ClusteringSetup.ConfigureClient(client, ClusteringSettings.FromConfiguration(configuration)).
        return root;
    }

    /// <summary><c>gateway</c>: a stateless Kafka gateway (Orleans client + Kafka listener); settings as for the broker.</summary>
    private static Command GatewayCommand()
    {
        var command = new Command(GatewayHost.Verb, "Run a standalone Kafka gateway: an Orleans client of the cluster with a Kafka listener and no state (give it a unique --Kafka:node.id)")
        {
            TreatUnmatchedTokensAsErrors = false,
        };
        command.SetAction(async parse => await RunGatewayAsync([.. parse.UnmatchedTokens]));
        return command;
    }

    private static async Task<int> RunGatewayAsync(string[] args)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = GatewayHost.Build(args);
        }
        catch (ClusteringConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }

        await using (app)
        {
            await app.RunAsync();
        }

        return 0;
    }

    private static async Task<int> RunBrokerAsync(string[] args)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = BrokerHost.Build(args);
        }
        catch (ClusteringConfigurationException e)
        {
            await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.RunAsync();
            }
            catch (Exception e) when (Find<SiloIdInUseException>(e) is { } duplicate)
            {
                await Console.Error.WriteLineAsync($"configuration error: {duplicate.Message}");
                return 2;
            }
        }

        return 0;
    }

    /// <summary>The first exception of type <typeparamref name="T"/> in <paramref name="e"/> and its inner exceptions (the silo lifecycle wraps them).</summary>
    private static T? Find<T>(Exception? e) where T : Exception
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is T found) return found;
            if (e is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    if (Find<T>(inner) is { } nested) return nested;
                }
            }
        }

        return null;
    }

    private static Command InitDbCommand()
    {
        var connectionString = new Option<string?>("--connection-string")
        {
            Description = "Npgsql connection string or postgres:// URL; default: Orleans:ConnectionString, then DATABASE_URL",
        };
        var command = new Command("init-db", "Apply the cluster-mode PostgreSQL schema (idempotent) and exit")
        {
            connectionString,
        };
        command.TreatUnmatchedTokensAsErrors = false;
        command.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = new ConfigurationBuilder()
                .AddEnvironmentVariables()
                .AddCommandLine(parse.UnmatchedTokens.ToArray())
                .Build();
            string? resolved;
            try
            {
                var given = parse.GetValue(connectionString);
                resolved = given is not null && given.Contains("://", StringComparison.Ordinal)
                    ? PostgresConnectionString.FromUrl(given)
                    : PostgresConnectionString.Resolve(given ?? configuration[$"{OrleansHostOptions.SectionName}:ConnectionString"], configuration["DATABASE_URL"]);
            }
            catch (ClusteringConfigurationException e)
            {
                await Console.Error.WriteLineAsync($"configuration error: {e.Message}");
                return 2;
            }

            if (resolved is null)
            {
                await Console.Error.WriteLineAsync("init-db needs a database: --connection-string, Orleans:ConnectionString or DATABASE_URL");
                return 2;
            }

            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            var applied = await PostgresSchema.ApplyAsync(resolved, loggers.CreateLogger("init-db"), cancellationToken);
            await Console.Out.WriteLineAsync($"schema up to date: {applied.Count} script(s) applied now, {PostgresSchema.Scripts.Count} in all");
            return 0;
        });
        return command;
    }
}
