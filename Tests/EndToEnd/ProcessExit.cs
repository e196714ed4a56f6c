using System.Diagnostics;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// Waiting for a killed child process, bounded. <see cref="Process.WaitForExitAsync"/> also waits for the end of
/// redirected output, so a process whose pipes stay open (a grandchild holding them) would hang a test for good; this
/// turns that into a failure that says which process it was.
/// </summary>
internal static class ProcessExit
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static async Task WaitAfterKillAsync(Process process, string what)
    {
        using var timeout = new CancellationTokenSource(Patience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException(
                $"{what} (pid {process.Id}) was killed but {(process.HasExited ? "its output pipes stayed open" : "did not exit")} after {Patience.TotalSeconds} s.");
        }
    }
}
