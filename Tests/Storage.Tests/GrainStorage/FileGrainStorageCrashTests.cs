using System.Diagnostics;
using System.Globalization;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

/// <summary>
/// kill -9 of a process in the middle of writing: runs this test assembly as a child process
/// (<see cref="CrashWriterProgram"/>) that writes a 256 KiB state in a loop, SIGKILLs it at a
/// varying moment, and checks that the file is intact and holds at least the last write the
/// child reported as done (a write is acknowledged once WriteStateAsync returned).
/// </summary>
public sealed class FileGrainStorageCrashTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "okgs-crash-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Fact]
    public async Task Killed_writer_leaves_an_intact_state_holding_every_acknowledged_write()
    {
        long lastAcknowledged = 0;
        foreach (var writesBeforeKill in new[] { 3, 17, 40 })
        {
            var acknowledged = await RunWriterAndKillAsync(writesBeforeKill, lastAcknowledged);
            Assert.True(acknowledged >= lastAcknowledged + writesBeforeKill, $"writer acknowledged {acknowledged}");

            // A leftover temp file shows the kill landed inside a write.
            var temps = Directory.GetFiles(_root, "*.tmp", SearchOption.AllDirectories).Length;
            output.WriteLine($"killed after {acknowledged} acknowledged writes; {temps} temp file(s) left");
            using var harness = new StorageHarness(_root);
            var state = new GrainState<TestState>();
            await harness.Storage.ReadStateAsync(CrashWriterProgram.StateName, CrashWriterProgram.GrainId, state);

            // The write in flight at the kill may or may not have landed; nothing older may be lost.
            Assert.InRange(state.State!.Counter, acknowledged, acknowledged + 1);
            Assert.All(state.State!.Padding, b => Assert.Equal((byte)state.State!.Counter, b));
            lastAcknowledged = state.State!.Counter;
        }
    }

    private async Task<long> RunWriterAndKillAsync(int writesBeforeKill, long after)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardInput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(typeof(CrashWriterProgram).Assembly.Location);
        start.ArgumentList.Add(CrashWriterProgram.Command);
        start.ArgumentList.Add(_root);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the writer process.");
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        long acknowledged = after;
        try
        {
            while (acknowledged < after + writesBeforeKill)
            {
                var line = await process.StandardOutput.ReadLineAsync(deadline.Token)
                    ?? throw new InvalidOperationException($"Writer exited early: {await process.StandardError.ReadToEndAsync(deadline.Token)}");
                acknowledged = long.Parse(line, CultureInfo.InvariantCulture);
            }
        }
        finally
        {
            process.Kill(entireProcessTree: true); // SIGKILL on Unix
            await process.WaitForExitAsync(CancellationToken.None);
        }

        // The child runs ahead of our reading: its last complete line is its last acknowledged
        // write (a line cut by the kill means that write returned but wasn't fully reported).
        var rest = await process.StandardOutput.ReadToEndAsync(deadline.Token);
        var complete = rest[..(rest.LastIndexOf('\n') + 1)].Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return complete.Length > 0 ? long.Parse(complete[^1], CultureInfo.InvariantCulture) : acknowledged;
    }

    private static string DotnetHost()
    {
        // Tests run under `dotnet testhost.dll`, so the current host is the dotnet muxer.
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }
}
