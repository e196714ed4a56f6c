using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>Guards of cluster processes: no orphans after the parent dies, no two live silos with one silo id.</summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class ClusterProcessSafetyTests(PostgresServer postgres, ITestOutputHelper log) : IClassFixture<PostgresServer>
{
    [Fact]
    public async Task Silo_stops_itself_when_its_parent_process_disappears()
    {
        using var dirs = new TempDirectory();
        // The "parent": a short-lived process of ours that we kill, standing in for a crashed test host.
        using var parent = Process.Start(new ProcessStartInfo("sleep", "300") { UseShellExecute = false })!;
        var kafkaPort = FreePorts.Next();
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll"),
                     $"--Kafka:listener.port={kafkaPort}",
                     $"--Kafka:log.dirs={dirs.Path}",
                     $"--Orleans:SiloPort={FreePorts.Next()}",
                     $"--Orleans:GatewayPort={FreePorts.Next()}",
                     $"--parent-pid={parent.Id.ToString(CultureInfo.InvariantCulture)}",
                 })
        {
            info.ArgumentList.Add(argument);
        }

        var output = new List<string>();
        using var silo = Process.Start(info)!;
        silo.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        silo.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.Add(e.Data); };
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        try
        {
            await Eventually.TrueAsync(() => silo.HasExited || IsListening(kafkaPort), TimeSpan.FromSeconds(90), () => "silo did not start");
            Assert.False(silo.HasExited, "silo exited before its parent did");

            parent.Kill();
            var watch = Stopwatch.StartNew();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await silo.WaitForExitAsync(timeout.Token);
            log.WriteLine($"silo exited {watch.Elapsed.TotalSeconds:F1} s after its parent, code {silo.ExitCode}");
            // 0: the graceful stop finished; 3: it took over 40 s (a loaded machine) and the watch exited the process.
            Assert.Contains(silo.ExitCode, new[] { 0, Silo.ParentProcessWatch.ForcedExitCode });
            lock (output) Assert.Contains(output, l => l.Contains("Parent process", StringComparison.Ordinal));
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
            if (!parent.HasExited) parent.Kill();
            lock (output) foreach (var line in output.TakeLast(30)) log.WriteLine(line);
        }
    }

    [Fact]
    public async Task Silo_whose_id_is_held_by_another_live_silo_refuses_to_start_but_a_killed_silo_restarts_on_its_endpoint()
    {
        await using var cluster = await LocalCluster.StartAsync(postgres, new LocalClusterOptions { SiloIds = [1] });
        await cluster.DumpOnFailureAsync(log, async () =>
        {
            // The same silo killed and started again at once on its own endpoint: not a duplicate, Orleans supersedes it.
            await cluster.KillSiloAsync(1);
            await cluster.StartSiloAsync(1);
            log.WriteLine($"silo 1 restarted after SIGKILL in {cluster.Silos[1].LastStartTime.TotalSeconds:F1} s");

            // Another process claiming silo id 1 from its own log.dirs and ports is refused.
            using var dirs = new TempDirectory();
            var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in new[]
                     {
                         Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll"),
                         "--Orleans:ClusteringMode=postgres",
                         $"--Orleans:ConnectionString={cluster.ConnectionString}",
                         $"--Orleans:ClusterId={cluster.ClusterId}",
                         $"--Orleans:ServiceId={cluster.ClusterId}",
                         $"--Orleans:SiloPort={FreePorts.Next()}",
                         $"--Orleans:GatewayPort={FreePorts.Next()}",
                         "--Kafka:node.id=1",
                         $"--Kafka:listener.port={FreePorts.Next()}",
                         $"--Kafka:log.dirs={dirs.Path}",
                         $"--parent-pid={Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}",
                     })
            {
                info.ArgumentList.Add(argument);
            }

            using var duplicate = Process.Start(info)!;
            var stdout = duplicate.StandardOutput.ReadToEndAsync();
            var stderr = duplicate.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await duplicate.WaitForExitAsync(timeout.Token);
            }
            finally
            {
                if (!duplicate.HasExited) duplicate.Kill(entireProcessTree: true);
            }

            var output = await stdout + await stderr;
            log.WriteLine(output.Length > 4000 ? output[^4000..] : output);
            Assert.Equal(2, duplicate.ExitCode);
            Assert.Contains("silo id 1 is already held by the active silo at 127.0.0.1:" + cluster.Silos[1].SiloPort, output, StringComparison.Ordinal);
            Assert.True(cluster.Silos[1].IsRunning);
        });
    }

    [Fact]
    public async Task Killed_silo_is_declared_dead_within_seconds_with_the_test_membership_settings()
    {
        await using var cluster = await LocalCluster.StartAsync(postgres, new LocalClusterOptions { SiloIds = [1, 2], SiloKafkaListeners = false });
        await cluster.DumpOnFailureAsync(log, async () =>
        {
            await cluster.KillSiloAsync(2);
            var watch = Stopwatch.StartNew();
            await cluster.WaitUntilDeclaredDeadAsync(2, TimeSpan.FromSeconds(30));
            log.WriteLine($"silo 2 declared dead {watch.Elapsed.TotalSeconds:F1} s after SIGKILL");
        });
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new System.Net.Sockets.TcpClient();
            client.Connect(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
