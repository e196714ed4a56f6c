using System.Diagnostics;
using System.Globalization;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A KIP-848 (group.protocol=consumer) group member in a child process running <see cref="Kip848MemberProgram"/>, so
/// a test can SIGKILL it: the broker then hears nothing more from it and must expire it after its session timeout.
/// </summary>
internal sealed class Kip848GroupMember : IDisposable
{
    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly List<string> _errors = [];
    private int _owned;

    private Kip848GroupMember(Process process) => _process = process;

    /// <summary>How many partitions the member reported owning in its last <c>owned N</c> line.</summary>
    public int Owned => Volatile.Read(ref _owned);

    public bool HasExited => _process.HasExited;

    public static Kip848GroupMember Start(string bootstrap, string groupId, string topic)
    {
        var info = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { typeof(Kip848MemberProgram).Assembly.Location, Kip848MemberProgram.Command, bootstrap, groupId, topic })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the KIP-848 member process");
        var member = new Kip848GroupMember(process);
        process.OutputDataReceived += (_, e) => member.OnOutput(e.Data);
        process.ErrorDataReceived += (_, e) => member.OnError(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return member;
    }

    /// <summary>SIGKILL: the process gets no chance to send its leave heartbeat (epoch -1).</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    public override string ToString()
    {
        lock (_gate)
        {
            return $"victim owns {Owned}" + (_process.HasExited ? $" (exited {_process.ExitCode})" : "")
                + (_errors.Count == 0 ? "" : " stderr: " + string.Join(" | ", _errors.TakeLast(5)));
        }
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

    private static string DotnetHost()
    {
        // Tests run under `dotnet testhost.dll`, so the current host is the dotnet muxer.
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private void OnOutput(string? line)
    {
        if (line is not null && line.StartsWith("owned ", StringComparison.Ordinal)
            && int.TryParse(line.AsSpan(6), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            Volatile.Write(ref _owned, count);
        }
    }

    private void OnError(string? line)
    {
        if (line is null) return;
        lock (_gate) { _errors.Add(line); }
    }
}
