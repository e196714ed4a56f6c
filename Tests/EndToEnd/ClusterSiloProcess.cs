using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// One silo of a PostgreSQL-clustered broker as a child process (the built Silo executable with
/// <c>--Orleans:ClusteringMode=postgres</c>), with its own ports and <c>log.dirs</c>. Stops gracefully (SIGTERM), so the silo
/// leaves the membership table as dead and a restarted cluster does not wait for it; killed if that takes too long.
/// </summary>
public sealed class ClusterSiloProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);
    private readonly Process _process;
    private readonly List<string> _output = [];

    private ClusterSiloProcess(Process process, int kafkaPort)
    {
        _process = process;
        KafkaPort = kafkaPort;
    }

    public int KafkaPort { get; }
    public string BootstrapServers => $"127.0.0.1:{KafkaPort}";
    public string Output { get { lock (_output) { return string.Join('\n', _output); } } }

    public static async Task<ClusterSiloProcess> StartAsync(string connectionString, string clusterId, int nodeId, string dataDirectory)
    {
        var kafkaPort = FreePort();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll"),
                     "--Orleans:ClusteringMode=postgres",
                     $"--Orleans:ConnectionString={connectionString}",
                     $"--Orleans:ClusterId={clusterId}",
                     $"--Orleans:ServiceId={clusterId}",
                     $"--Orleans:SiloPort={FreePort()}",
                     $"--Orleans:GatewayPort={FreePort()}",
                     $"--Kafka:node.id={nodeId}",
                     $"--Kafka:listener.port={kafkaPort}",
                     $"--Kafka:log.dirs={dataDirectory}",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        // A crashed test host must not leave this process running (Silo/ParentProcessWatch.cs).
        info.Environment["OKAFKA_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the silo process");
        var silo = new ClusterSiloProcess(process, kafkaPort);
        process.OutputDataReceived += (_, e) => silo.Record(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await silo.WaitUntilListeningAsync(TimeSpan.FromSeconds(90));
        return silo;
    }

    /// <summary>SIGTERM and wait for the exit (the host's graceful shutdown); SIGKILL after <see cref="StopPatience"/>.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(StopPatience);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill(entireProcessTree: true);
            await ProcessExit.WaitAfterKillAsync(_process, "silo process");
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await ProcessExit.WaitAfterKillAsync(_process, "silo process");
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is null) return;
        lock (_output) { _output.Add(line); }
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"silo exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, KafkaPort);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"silo did not listen on {KafkaPort} within {timeout}:\n{Output}");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
