using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>A bare Kafka wire client over a loopback socket: frames requests, reads and decodes responses.</summary>
internal sealed class KafkaWireClient : IAsyncDisposable
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);
    private readonly Socket _socket;
    private readonly NetworkStream _stream;

    private KafkaWireClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<KafkaWireClient> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new KafkaWireClient(socket);
    }

    /// <summary>Encodes header and body at <paramref name="version"/> into one frame (size prefix included).</summary>
    public static byte[] Frame(Orleans.Kafka.Protocol.IRequest request, short version, int correlationId, string? clientId = "gateway-tests")
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        var body = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(body);
        new RequestHeader { RequestApiKey = (short)request.ApiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = clientId }
            .Write(writer, info!.RequestHeaderVersion(version));
        request.Write(writer, version);
        var frame = new byte[4 + body.WrittenCount];
        BinaryPrimitives.WriteInt32BigEndian(frame, body.WrittenCount);
        body.WrittenSpan.CopyTo(frame.AsSpan(4));
        return frame;
    }

    public Task SendAsync(Orleans.Kafka.Protocol.IRequest request, short version, int correlationId) =>
        SendRawAsync(Frame(request, version, correlationId));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>Reads one response frame; null when the server closed the connection.</summary>
    public async Task<byte[]?> ReceiveFrameAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var prefix = new byte[4];
        if (!await ReadExactlyOrEofAsync(prefix, timeout.Token))
        {
            return null;
        }

        var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadExactlyOrEofAsync(frame, timeout.Token) ? frame : null;
    }

    /// <summary>Reads and decodes one response, checking it was framed with <paramref name="headerVersion"/>.</summary>
    public async Task<(int CorrelationId, TResponse Response)> ReceiveAsync<TResponse>(short version, short headerVersion)
        where TResponse : IResponse, new()
    {
        var frame = await ReceiveFrameAsync() ?? throw new InvalidOperationException("The server closed the connection instead of answering.");
        return Decode<TResponse>(frame, version, headerVersion);
    }

    public static (int CorrelationId, TResponse Response) Decode<TResponse>(byte[] frame, short version, short headerVersion)
        where TResponse : IResponse, new()
    {
        var reader = new KafkaReader(frame);
        var header = new ResponseHeader();
        header.Read(ref reader, headerVersion);
        var response = new TResponse();
        response.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return (header.CorrelationId, response);
    }

    /// <summary>True once the server has closed the connection (EOF or reset), waiting at most the read timeout.</summary>
    public async Task<bool> WaitForCloseAsync()
    {
        using var timeout = new CancellationTokenSource(ReadTimeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(buffer, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (IOException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<bool> ReadExactlyOrEofAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _socket.Dispose();
    }
}
