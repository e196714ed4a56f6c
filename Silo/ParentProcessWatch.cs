using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Orleans.Kafka.Silo;

/// <summary>
/// Stops the process when a watched process disappears (<c>--parent-pid=N</c> or environment <c>OKAFKA_PARENT_PID</c>):
/// tests and supervisors that start silos and gateways as children pass their own pid, so a crashed parent leaves no
/// orphan holding ports, files and a membership row. The stop is the host's graceful one (a silo leaves membership);
/// if that has not finished within <see cref="ExitPatience"/> the process exits anyway.
/// </summary>
public sealed partial class ParentProcessWatch(int parentPid, IHostApplicationLifetime lifetime, ILogger<ParentProcessWatch> logger) : BackgroundService
{
    public const string ConfigurationKey = "parent-pid";
    public const string EnvironmentVariable = "OKAFKA_PARENT_PID";

    /// <summary>Exit code when the graceful stop after the parent's exit takes too long.</summary>
    public const int ForcedExitCode = 3;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan ExitPatience = TimeSpan.FromSeconds(40);

    /// <summary>Registers the watch when a parent pid is configured; throws <see cref="ClusteringConfigurationException"/> on a bad value.</summary>
    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        var text = configuration[ConfigurationKey] ?? Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text)) return;
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            throw new ClusteringConfigurationException($"{ConfigurationKey} ({EnvironmentVariable}) must be a process id, got '{text}'");
        services.AddHostedService(sp => new ParentProcessWatch(
            pid, sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<ILogger<ParentProcessWatch>>()));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        while (IsAlive(parentPid))
        {
            if (!await timer.WaitForNextTickAsync(stoppingToken)) return;
        }

        LogParentGone(logger, parentPid);
        lifetime.StopApplication();

        // The graceful stop normally ends the process well before this; a stop that hangs must not leave an orphan.
        _ = Task.Run(async () =>
        {
            await Task.Delay(ExitPatience, CancellationToken.None);
            LogForcedExit(logger, ExitPatience);
            Environment.Exit(ForcedExitCode);
        }, CancellationToken.None);
    }

    private static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            // No process with that id any more.
            return false;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Warning, Message = "Parent process {Pid} is gone: stopping")]
    private static partial void LogParentGone(ILogger logger, int pid);

    [LoggerMessage(EventId = 6202, Level = LogLevel.Error, Message = "Graceful stop did not finish within {Patience} after the parent process exited: exiting")]
    private static partial void LogForcedExit(ILogger logger, TimeSpan patience);
}
