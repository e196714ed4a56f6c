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
        // A free port is free only until someone takes it: child silos of parallel tests pick ports the same way, so a
        // bind that loses the race is retried on fresh ports (an explicitly requested port, a restart's, is not changed).
        for (var attempt = 1; ; attempt++)
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
            try
            {
                await app.StartAsync();
                return new InProcessBroker(app, kafkaPort, dataDirectory);
            }
            catch (Exception ex) when (attempt < 5 && IsAddressInUse(ex))
            {
                await app.DisposeAsync();
            }
        }
    }

    private static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is Microsoft.AspNetCore.Connections.AddressInUseException
                || (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse }))
            {
                return true;
            }
        }

        return false;
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
