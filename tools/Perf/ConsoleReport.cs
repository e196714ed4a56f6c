using System.Globalization;
using Spectre.Console;

namespace Orleans.Kafka.Perf;

/// <summary>Prints each command's figures as a Spectre table.</summary>
internal static class ConsoleReport
{
    public static void Produce(ProduceSettings settings, ProduceResult result)
    {
        var table = NewTable("produce");
        table.AddRow("topic", Markup.Escape(settings.Topic));
        table.AddRow("records × size", $"{N(settings.Records)} × {N(settings.RecordSize)} B");
        table.AddRow("acks / compression", $"{Names.Format(settings.Acks)} / {settings.Compression.ToString().ToLowerInvariant()}");
        table.AddRow("linger / batch", $"{settings.LingerMs.ToString(CultureInfo.InvariantCulture)} ms / {N(settings.BatchSize)} B");
        table.AddRow("records delivered", N(result.Throughput.Records));
        table.AddRow("records sent", N(result.Sent));
        table.AddRow("errors", N(result.Errors));
        table.AddRow("elapsed", Seconds(result.Throughput.Elapsed));
        table.AddRow("msgs/s", N(result.Throughput.RecordsPerSecond));
        table.AddRow("MB/s", F(result.Throughput.MegabytesPerSecond));
        table.AddRow("latency avg ms", F(result.Latency.Average));
        table.AddRow("latency p50 ms", F(result.Latency.P50));
        table.AddRow("latency p99 ms", F(result.Latency.P99));
        table.AddRow("latency p99.9 ms", F(result.Latency.P999));
        table.AddRow("latency max ms", F(result.Latency.Max));
        Finish(table, result.FirstError, result.TimedOut);
    }

    public static void Consume(ConsumeSettings settings, ConsumeResult result)
    {
        var table = NewTable("consume");
        table.AddRow("topic", Markup.Escape(settings.Topic));
        table.AddRow("mode", Markup.Escape(settings.Group is null ? "assigned, no group" : $"group {settings.Group}"));
        table.AddRow("records consumed", N(result.Throughput.Records));
        table.AddRow("errors", N(result.Errors));
        table.AddRow("time to first record", Seconds(result.TimeToFirstRecord));
        table.AddRow("elapsed (first → last record)", Seconds(result.Throughput.Elapsed));
        table.AddRow("msgs/s", N(result.Throughput.RecordsPerSecond));
        table.AddRow("MB/s", F(result.Throughput.MegabytesPerSecond));
        table.AddRow("total incl. start-up", Seconds(result.Total));
        Finish(table, result.FirstError, result.TimedOut);
    }

    public static void Baseline(BaselineSettings settings, BaselineResult result)
    {
        var table = NewTable("baseline (loopback socket)");
        table.AddRow("records × size", $"{N(settings.Records)} × {N(settings.RecordSize)} B");
        table.AddRow("write size", $"{N(settings.ChunkSize)} B");
        table.AddRow("bytes sent", N(result.BytesSent));
        table.AddRow("bytes received", N(result.BytesReceived));
        table.AddRow("elapsed", Seconds(result.Throughput.Elapsed));
        table.AddRow("msgs/s equivalent", N(result.Throughput.RecordsPerSecond));
        table.AddRow("MB/s", F(result.Throughput.MegabytesPerSecond));
        Finish(table, firstError: null, result.TimedOut);
    }

    public static string N(double value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string F(double value) => value.ToString("N2", CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("N3", CultureInfo.InvariantCulture) + " s";

    private static Table NewTable(string title) =>
        new Table().Title(Markup.Escape(title)).AddColumn("figure").AddColumn(new TableColumn("value").RightAligned());

    private static void Finish(Table table, string? firstError, bool timedOut)
    {
        if (firstError is not null)
        {
            table.AddRow("first error", Markup.Escape(firstError));
        }

        if (timedOut)
        {
            table.AddRow("[red]timed out[/]", "[red]figures cover only what finished in time[/]");
        }

        AnsiConsole.Write(table);
    }
}
