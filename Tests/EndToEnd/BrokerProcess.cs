using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// The broker as a child process (the built Silo executable), for tests that must kill it the hard way.
/// </summary>
public sealed class BrokerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];

    private BrokerProcess(Process process, int port, string dataDirectory)
    {
        _process = process;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public string BootstrapServers => $"127.0.0.1:{Port}";
    public string Output { get { lock (_output) { return string.Join('\n', _output); } } }

    public static async Task<BrokerProcess> StartAsync(string dataDirectory, int? port = null, TimeSpan? timeout = null)
    {
        var siloDll = Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll");
        var kafkaPort = port ?? FreePorts.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     siloDll,
                     $"--Kafka:listener.port={kafkaPort}",
                     $"--Kafka:log.dirs={dataDirectory}",
                     $"--Orleans:SiloPort={FreePorts.Next()}",
                     $"--Orleans:GatewayPort={FreePorts.Next()}",
                 })
        {
            info.ArgumentList.Add(arg);
        }

        // A crashed test host must not leave this process running (Silo/ParentProcessWatch.cs).
        info.Environment["OKAFKA_PARENT_PID"] = Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the broker process");
        var broker = new BrokerProcess(process, kafkaPort, dataDirectory);
        process.OutputDataReceived += (_, e) => broker.Record(e.Data);
        process.ErrorDataReceived += (_, e) => broker.Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await broker.WaitUntilListeningAsync(timeout ?? TimeSpan.FromSeconds(60));
        return broker;
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
            if (_process.HasExited)
                throw new InvalidOperationException($"broker exited with {_process.ExitCode}:\n{Output}");
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        throw new TimeoutException($"broker did not listen on {Port} within {timeout}:\n{Output}");
    }

    /// <summary>SIGKILL: no shutdown code runs, as after a power cut of the process.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}

internal static class FreePorts
{
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>A temporary folder that is deleted with the test.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "okafka-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
