using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.EndToEnd;

/// <summary>The embedded broker (silo + gateway) hosted inside the test process on free loopback ports.</summary>
public sealed class InProcessBroker : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _disposed;

    private InProcessBroker(WebApplication app, int port, string dataDirectory)
    {
        _app = app;
        Port = port;
        DataDirectory = dataDirectory;
    }

    public int Port { get; }
    public string DataDirectory { get; }
    public string BootstrapServers => $"127.0.0.1:{Port}";
    public IServiceProvider Services => _app.Services;

    public static async Task<InProcessBroker> StartAsync(string dataDirectory, int? port = null, params string[] extraArgs)
    {
        var kafkaPort = port ?? FreePorts.Next();
        string[] args =
        [
            $"--Kafka:listener.port={kafkaPort}",
            $"--Kafka:log.dirs={dataDirectory}",
            $"--Orleans:SiloPort={FreePorts.Next()}",
            $"--Orleans:GatewayPort={FreePorts.Next()}",
            .. extraArgs,
        ];
        var app = BrokerHost.Build(args, builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync();
        return new InProcessBroker(app, kafkaPort, dataDirectory);
    }

    /// <summary>Stops the broker gracefully; a second call does nothing (tests that restart dispose in finally blocks too).</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
