using System.Diagnostics;
using System.Globalization;
using Spectre.Console;

namespace Orleans.Kafka.Perf;

/// <summary>
/// Shows a run's progress while it works: a Spectre progress bar with the live records/s on an
/// interactive terminal, a plain line every few seconds otherwise (CI logs, pipes), nothing
/// when disabled. The work itself runs elsewhere; this only samples its counter.
/// </summary>
internal static class LiveProgress
{
    private static readonly TimeSpan InteractiveInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(2);

    public static async Task<T> TrackAsync<T>(string label, long total, Func<long> completed, Task<T> work, bool enabled)
    {
        if (!enabled)
        {
            return await work;
        }

        if (!AnsiConsole.Profile.Capabilities.Interactive)
        {
            return await TrackPlainAsync(label, total, completed, work);
        }

        await AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(label, maxValue: total);
                var rate = new RateSampler();
                while (!work.IsCompleted)
                {
                    await Task.WhenAny(work, Task.Delay(InteractiveInterval));
                    var done = completed();
                    task.Value = done;
                    task.Description = Describe(label, done, total, rate.Sample(done));
                }

                task.Value = completed();
                task.StopTask();
            });
        return await work;
    }

    private static async Task<T> TrackPlainAsync<T>(string label, long total, Func<long> completed, Task<T> work)
    {
        var rate = new RateSampler();
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(PlainInterval));
            if (!work.IsCompleted)
            {
                var done = completed();
                Console.WriteLine(Describe(label, done, total, rate.Sample(done)));
            }
        }

        return await work;
    }

    private static string Describe(string label, long done, long total, double perSecond) =>
        string.Create(CultureInfo.InvariantCulture, $"{label}: {done:N0}/{total:N0} records, {perSecond:N0} rec/s");

    /// <summary>Records/s since the previous sample.</summary>
    private sealed class RateSampler
    {
        private long lastCount;
        private long lastTimestamp = Stopwatch.GetTimestamp();

        public double Sample(long count)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(lastTimestamp, now).TotalSeconds;
            var perSecond = seconds > 0 ? (count - lastCount) / seconds : 0;
            lastCount = count;
            lastTimestamp = now;
            return perSecond;
        }
    }
}
