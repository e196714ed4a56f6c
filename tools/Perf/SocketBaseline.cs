using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Kafka.Perf;

/// <summary>What the loopback pump moved and how fast.</summary>
internal sealed record BaselineResult(Throughput Throughput, long BytesSent, long BytesReceived, bool TimedOut);

/// <summary>
/// "The limit": the same payload bytes a perf run moves, pumped through one loopback TCP
/// connection with nothing else in the way — no framing, no batching logic, no broker. A client
/// writes chunks the size of a Kafka batch; a listener on 127.0.0.1 reads them into a buffer
/// and discards them. Timing runs from the first write until the reader has seen every byte.
/// </summary>
internal static class SocketBaseline
{
    /// <summary>Bytes pumped, untimed, before a measured run so JIT and socket set-up are not in the figure.</summary>
    private const long WarmUpBytes = 16 * 1024 * 1024;

    public static async Task<BaselineResult> RunAsync(BaselineSettings settings, CancellationToken cancellationToken, bool warmUp = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (warmUp)
        {
            var warmUpRecords = Math.Max(1, Math.Min(settings.Records, WarmUpBytes / settings.RecordSize));
            await RunAsync(settings with { Records = warmUpRecords }, cancellationToken, warmUp: false);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.Timeout);
        var token = timeout.Token;

        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start(backlog: 1);
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var accept = listener.AcceptSocketAsync(token).AsTask();

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            await client.ConnectAsync(IPAddress.Loopback, port, token);
            using var server = await accept;

            var received = 0L;
            var reader = Task.Run(() => ReadAllAsync(server, settings.ChunkSize, count => received = count, token), token);

            var started = Stopwatch.GetTimestamp();
            var sent = 0L;
            var timedOut = false;
            try
            {
                sent = await WriteAsync(client, settings.TotalBytes, settings.ChunkSize, token);
                client.Shutdown(SocketShutdown.Send);
                received = await reader;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                timedOut = true;
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var records = settings.RecordSize > 0 ? received / settings.RecordSize : 0;
            return new BaselineResult(new Throughput(records, received, elapsed), sent, received, timedOut);
        }
        finally
        {
            listener.Stop();
        }
    }

    private static async Task<long> WriteAsync(Socket socket, long total, int chunkSize, CancellationToken token)
    {
        // Random-looking bytes would not change a socket's speed; a zero-filled chunk keeps setup cheap.
        var chunk = new byte[(int)Math.Min(chunkSize, Math.Max(total, 1))];
        var sent = 0L;
        while (sent < total)
        {
            var size = (int)Math.Min(chunk.Length, total - sent);
            var written = 0;
            while (written < size)
            {
                written += await socket.SendAsync(chunk.AsMemory(written, size - written), SocketFlags.None, token);
            }

            sent += size;
        }

        return sent;
    }

    private static async Task<long> ReadAllAsync(Socket socket, int bufferSize, Action<long> progress, CancellationToken token)
    {
        var buffer = new byte[bufferSize];
        var total = 0L;
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, token);
            if (read == 0)
            {
                return total;
            }

            total += read;
            progress(total);
        }
    }
}
