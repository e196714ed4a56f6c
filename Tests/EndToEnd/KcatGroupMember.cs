using System.Diagnostics;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A balanced-consumer group member in another process (<c>kcat -G</c>), so a test can SIGKILL it: a consumer killed
/// that way sends no LeaveGroup, unlike a disposed in-process Confluent consumer, which leaves the group on destroy.
/// </summary>
internal sealed class KcatGroupMember : IDisposable
{
    private readonly Process _process;

    private KcatGroupMember(Process process) => _process = process;

    public static bool Available => Environment.GetEnvironmentVariable("PATH")?.Split(Path.PathSeparator)
        .Any(dir => File.Exists(Path.Combine(dir, "kcat"))) == true;

    public static KcatGroupMember Start(string bootstrap, string groupId, string topic)
    {
        var info = new ProcessStartInfo("kcat")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[]
                 {
                     "-b", bootstrap, "-G", groupId, "-q",
                     "-X", "session.timeout.ms=6000",
                     "-X", "heartbeat.interval.ms=300",
                     "-X", "partition.assignment.strategy=range",
                     "-X", "client.id=e2e-kcat-victim",
                     topic,
                 })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start kcat");

        // Drain its output so a full pipe never blocks it.
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new KcatGroupMember(process);
    }

    public bool HasExited => _process.HasExited;

    /// <summary>SIGKILL: the process gets no chance to leave the group.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit();
        }

        _process.Dispose();
    }
}
