using System.Globalization;
using System.Text;
using Spectre.Console;

namespace Orleans.Kafka.Perf;

/// <summary>One repetition of a suite cell: the baseline, then produce, then consume, back to back.</summary>
internal sealed record SuiteRun(BaselineResult Baseline, ProduceResult Produce, ConsumeResult? Consume);

/// <summary>Medians over a cell's repetitions, and the ratios against the baseline of the same bytes.</summary>
internal sealed record SuiteCellSummary(
    SuiteCell Cell,
    int Runs,
    double BaselineMegabytesPerSecond,
    double ProduceRecordsPerSecond,
    double ProduceMegabytesPerSecond,
    double ProduceP50,
    double ProduceP99,
    double ProduceP999,
    double ConsumeRecordsPerSecond,
    double ConsumeMegabytesPerSecond,
    long Errors,
    bool TimedOut)
{
    public double ProduceRatio => BaselineMegabytesPerSecond > 0 ? ProduceMegabytesPerSecond / BaselineMegabytesPerSecond : 0;

    public double ConsumeRatio => BaselineMegabytesPerSecond > 0 ? ConsumeMegabytesPerSecond / BaselineMegabytesPerSecond : 0;

    public static SuiteCellSummary From(SuiteCell cell, IReadOnlyList<SuiteRun> runs)
    {
        ArgumentNullException.ThrowIfNull(cell);
        ArgumentNullException.ThrowIfNull(runs);
        var consumed = runs.Where(r => r.Consume is not null).Select(r => r.Consume!).ToList();
        return new SuiteCellSummary(
            cell,
            runs.Count,
            Median(runs.Select(r => r.Baseline.Throughput.MegabytesPerSecond)),
            Median(runs.Select(r => r.Produce.Throughput.RecordsPerSecond)),
            Median(runs.Select(r => r.Produce.Throughput.MegabytesPerSecond)),
            Median(runs.Select(r => r.Produce.Latency.P50)),
            Median(runs.Select(r => r.Produce.Latency.P99)),
            Median(runs.Select(r => r.Produce.Latency.P999)),
            Median(consumed.Select(c => c.Throughput.RecordsPerSecond)),
            Median(consumed.Select(c => c.Throughput.MegabytesPerSecond)),
            runs.Sum(r => r.Produce.Errors + (r.Consume?.Errors ?? 0)),
            runs.Any(r => r.Baseline.TimedOut || r.Produce.TimedOut || r.Consume?.TimedOut == true));
    }

    /// <summary>The middle value (mean of the middle two for an even count); 0 for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return 0;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}

/// <summary>
/// Runs the matrix: each cell repeated, each repetition measuring the loopback baseline
/// of the same bytes right before producing and consuming them, so machine noise (other work on
/// the box, CPU frequency) hits limit and measurement alike and the ratio stays meaningful.
/// Each repetition writes to a fresh topic, so consume reads exactly what that produce wrote.
/// </summary>
internal sealed class SuiteRunner(SuiteSettings settings)
{
    public async Task<(IReadOnlyList<SuiteCellSummary> Summaries, int ExitCode)> RunAsync(CancellationToken cancellationToken)
    {
        var summaries = new List<SuiteCellSummary>();
        var stamp = DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        foreach (var cell in settings.Cells)
        {
            var runs = new List<SuiteRun>();
            for (var run = 1; run <= settings.Runs && !cancellationToken.IsCancellationRequested; run++)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"suite: {cell.Records:N0} × {cell.RecordSize} B, acks={Names.Format(cell.Acks)}, run {run}/{settings.Runs}"));
                runs.Add(await RunOnceAsync(cell, $"perf-{stamp}-{cell.RecordSize}b-acks{Names.Format(cell.Acks)}-r{run}", cancellationToken));
            }

            if (runs.Count > 0)
            {
                summaries.Add(SuiteCellSummary.From(cell, runs));
            }
        }

        Print(summaries);
        if (settings.Markdown is { } path)
        {
            await File.WriteAllTextAsync(path, Markdown(settings, summaries), cancellationToken);
            AnsiConsole.MarkupLine(Markup.Escape($"wrote {path}"));
        }

        var exitCode = summaries.Any(s => s.TimedOut) ? ExitCodes.TimedOut
            : summaries.Any(s => s.Errors > 0) ? ExitCodes.Errors
            : ExitCodes.Ok;
        return (summaries, exitCode);
    }

    private async Task<SuiteRun> RunOnceAsync(SuiteCell cell, string topic, CancellationToken cancellationToken)
    {
        var baseline = await SocketBaseline.RunAsync(
            new BaselineSettings(cell.Records, cell.RecordSize, settings.BatchSize, settings.Timeout), cancellationToken);

        var produceSettings = new ProduceSettings(
            settings.Bootstrap, topic, cell.Records, cell.RecordSize, cell.Acks, settings.Compression,
            settings.Partitions, settings.ReplicationFactor, settings.LingerMs, settings.BatchSize,
            settings.CreateTopics, settings.Timeout, settings.ShowProgress);
        var produce = await PerfCommands.ProduceAsync(produceSettings, print: false, cancellationToken);

        ConsumeResult? consume = null;
        if (produce.Throughput.Records > 0)
        {
            var consumeSettings = new ConsumeSettings(
                settings.Bootstrap, topic, produce.Throughput.Records, Group: null, settings.Timeout, settings.ShowProgress);
            consume = await PerfCommands.ConsumeAsync(consumeSettings, print: false, cancellationToken);
        }

        return new SuiteRun(baseline, produce, consume);
    }

    private static void Print(IReadOnlyList<SuiteCellSummary> summaries)
    {
        var table = new Table().Title("suite (medians)");
        foreach (var header in Headers)
        {
            table.AddColumn(new TableColumn(Markup.Escape(header)).RightAligned());
        }

        foreach (var summary in summaries)
        {
            table.AddRow([.. Cells(summary).Select(Markup.Escape)]);
        }

        AnsiConsole.Write(table);
    }

    private static readonly string[] Headers =
    [
        "records", "size", "acks", "runs", "baseline MB/s",
        "produce msgs/s", "produce MB/s", "p50 ms", "p99 ms", "p99.9 ms", "produce ÷ baseline",
        "consume msgs/s", "consume MB/s", "consume ÷ baseline", "errors", "timed out",
    ];

    private static string[] Cells(SuiteCellSummary s) =>
    [
        ConsoleReport.N(s.Cell.Records), $"{s.Cell.RecordSize.ToString(CultureInfo.InvariantCulture)} B", Names.Format(s.Cell.Acks),
        s.Runs.ToString(CultureInfo.InvariantCulture), ConsoleReport.F(s.BaselineMegabytesPerSecond),
        ConsoleReport.N(s.ProduceRecordsPerSecond), ConsoleReport.F(s.ProduceMegabytesPerSecond),
        ConsoleReport.F(s.ProduceP50), ConsoleReport.F(s.ProduceP99), ConsoleReport.F(s.ProduceP999),
        s.ProduceRatio.ToString("P1", CultureInfo.InvariantCulture),
        ConsoleReport.N(s.ConsumeRecordsPerSecond), ConsoleReport.F(s.ConsumeMegabytesPerSecond),
        s.ConsumeRatio.ToString("P1", CultureInfo.InvariantCulture),
        ConsoleReport.N(s.Errors), s.TimedOut ? "yes" : "no",
    ];

    public static string Markdown(SuiteSettings settings, IReadOnlyList<SuiteCellSummary> summaries)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(summaries);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Perf suite against `{settings.Bootstrap}`, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} logical CPUs.");
        text.AppendLine(CultureInfo.InvariantCulture, $"Partitions {settings.Partitions}, compression {settings.Compression.ToString().ToLowerInvariant()}, linger {settings.LingerMs} ms, batch {settings.BatchSize:N0} B; medians of {settings.Runs} runs; MB = 2^20 bytes.");
        text.AppendLine();
        text.AppendLine("| " + string.Join(" | ", Headers) + " |");
        text.AppendLine("|" + string.Concat(Enumerable.Repeat("---:|", Headers.Length)));
        foreach (var summary in summaries)
        {
            text.AppendLine("| " + string.Join(" | ", Cells(summary)) + " |");
        }

        return text.ToString();
    }
}
