namespace Orleans.Kafka.Perf;

/// <summary>Each command's run: set up, track progress, print, and turn the outcome into an exit code.</summary>
internal static class PerfCommands
{
    public static async Task<int> ProduceAsync(ProduceSettings settings, CancellationToken cancellationToken)
    {
        var result = await ProduceAsync(settings, print: true, cancellationToken);
        return result.TimedOut ? ExitCodes.TimedOut : result.Errors > 0 ? ExitCodes.Errors : ExitCodes.Ok;
    }

    public static async Task<ProduceResult> ProduceAsync(ProduceSettings settings, bool print, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.CreateTopic)
        {
            await TopicSetup.CreateAsync(settings.Bootstrap, settings.Topic, settings.Partitions, settings.ReplicationFactor);
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

    public static async Task<int> ConsumeAsync(ConsumeSettings settings, CancellationToken cancellationToken)
    {
        var result = await ConsumeAsync(settings, print: true, cancellationToken);
        return result.TimedOut ? ExitCodes.TimedOut : result.Errors > 0 ? ExitCodes.Errors : ExitCodes.Ok;
    }

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

    public static async Task<int> SuiteAsync(SuiteSettings settings, CancellationToken cancellationToken)
    {
        var (_, exitCode) = await new SuiteRunner(settings).RunAsync(cancellationToken);
        return exitCode;
    }
}
