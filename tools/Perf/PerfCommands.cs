using Confluent.Kafka;
using Spectre.Console;

namespace Orleans.Kafka.Perf;

/// <summary>Each command's run: set up, track progress, print, and turn the outcome into an exit code.</summary>
internal static class PerfCommands
{
    public static Task<int> ProduceAsync(ProduceSettings settings, CancellationToken cancellationToken) =>
        ReportingSetupFailures(async () =>
        {
            var result = await ProduceAsync(settings, print: true, cancellationToken);
            return result.TimedOut ? ExitCodes.TimedOut : result.Errors > 0 ? ExitCodes.Errors : ExitCodes.Ok;
        });

    public static async Task<ProduceResult> ProduceAsync(ProduceSettings settings, bool print, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.CreateTopic)
        {
            await TopicSetup.CreateAsync(settings.Bootstrap, settings.Topic, settings.Partitions, settings.ReplicationFactor, settings.Timeout);
        }

        using var runner = new ProduceRunner(settings);
        var result = await LiveProgress.TrackAsync(
            $"produce {settings.Topic}", settings.Records, () => runner.Completed, runner.RunAsync(cancellationToken), settings.ShowProgress);
        if (print)
        {
            ConsoleReport.Produce(settings, result);
        }

        return result;
    }

    public static Task<int> ConsumeAsync(ConsumeSettings settings, CancellationToken cancellationToken) =>
        ReportingSetupFailures(async () =>
        {
            var result = await ConsumeAsync(settings, print: true, cancellationToken);
            return result.TimedOut ? ExitCodes.TimedOut : result.Errors > 0 ? ExitCodes.Errors : ExitCodes.Ok;
        });

    public static async Task<ConsumeResult> ConsumeAsync(ConsumeSettings settings, bool print, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var runner = new ConsumeRunner(settings);
        var result = await LiveProgress.TrackAsync(
            $"consume {settings.Topic}", settings.Records, () => runner.Completed, runner.RunAsync(cancellationToken), settings.ShowProgress);
        if (print)
        {
            ConsoleReport.Consume(settings, result);
        }

        return result;
    }

    public static async Task<int> BaselineAsync(BaselineSettings settings, CancellationToken cancellationToken)
    {
        var result = await SocketBaseline.RunAsync(settings, cancellationToken);
        ConsoleReport.Baseline(settings, result);
        return result.TimedOut ? ExitCodes.TimedOut : ExitCodes.Ok;
    }

    public static Task<int> SuiteAsync(SuiteSettings settings, CancellationToken cancellationToken) =>
        ReportingSetupFailures(async () =>
        {
            var (_, exitCode) = await new SuiteRunner(settings).RunAsync(cancellationToken);
            return exitCode;
        });

    /// <summary>
    /// A broker that cannot create the topic or describe it is an expected outcome for a perf tool
    /// pointed at a young broker: say what failed in one line and exit 1, rather than a stack trace.
    /// </summary>
    private static async Task<int> ReportingSetupFailures(Func<Task<int>> run)
    {
        try
        {
            return await run();
        }
        catch (KafkaException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]Kafka error {e.Error.Code}: {e.Message}[/]");
            return ExitCodes.Errors;
        }
        catch (PerfSetupException e)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
            return ExitCodes.Errors;
        }
    }
}
