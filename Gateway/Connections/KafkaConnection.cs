using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Connections;

/// <summary>
/// One client connection: a read loop that slices frames, decodes them and starts their handlers
/// without waiting, and a write loop that sends the responses in request order.
/// </summary>
internal sealed class KafkaConnection
{
    /// <summary>api_key, api_version and correlation_id: the fixed start of every request header.</summary>
    private const int HeaderPrefixSize = 8;

    private readonly ConnectionContext _connection;
    private readonly KafkaRequestDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly int _maxFrameBytes;
    private readonly CancellationToken _closed;

    /// <summary>Requests in arrival order; bounded, so a client cannot queue unbounded work and memory.</summary>
    private readonly Channel<PendingResponse> _pending;

    public KafkaConnection(ConnectionContext connection, KafkaRequestDispatcher dispatcher, int maxFrameBytes, int maxInFlightRequests, GatewayMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        _connection = connection;
        _dispatcher = dispatcher;
        _maxFrameBytes = maxFrameBytes;
        _logger = logger;
        _closed = connection.ConnectionClosed;
        _pending = Channel.CreateBounded<PendingResponse>(new BoundedChannelOptions(maxInFlightRequests)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public async Task RunAsync()
    {
        GatewayLog.ConnectionOpened(_logger, _connection.ConnectionId, _connection.RemoteEndPoint);
        _metrics.ConnectionOpened();

        // When the server shuts down, stop reading: requests already accepted are answered, then the connection closes.
        using var shutdown = _connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            .Register(static input => ((PipeReader)input!).CancelPendingRead(), _connection.Transport.Input);
        var writing = WriteResponsesAsync();
        string? closeReason;
        try
        {
            closeReason = await ReadRequestsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or ConnectionAbortedException or ChannelClosedException or IOException)
        {
            // The client went away, or the write loop closed the connection and logged why.
            closeReason = null;
        }
        catch (Exception ex)
        {
            // A gateway bug must cost this connection only, never the process: log it and close.
            GatewayLog.ConnectionFailed(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, ex);
            closeReason = null;
        }
        finally
        {
            // Responses to requests already accepted still go out, in order, before we return.
            _pending.Writer.TryComplete();
        }

        await writing.ConfigureAwait(false);
        if (closeReason is not null)
        {
            GatewayLog.ClosingConnection(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, closeReason);
            _metrics.ConnectionForciblyClosed();
        }

        _metrics.ConnectionEnded();
        GatewayLog.ConnectionClosed(_logger, _connection.ConnectionId, _connection.RemoteEndPoint);
    }

    /// <summary>Reads frames until the client closes (null) or a frame forces the connection closed (the reason).</summary>
    private async Task<string?> ReadRequestsAsync()
    {
        var input = _connection.Transport.Input;
        while (true)
        {
            var result = await input.ReadAsync(_closed).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (result.IsCanceled)
            {
                // The write loop is closing the connection (it logged why), or the server is shutting down: accept nothing more.
                input.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }

            string? closeReason = null;
            try
            {
                while (closeReason is null)
                {
                    var status = FrameReader.TryReadFrame(ref buffer, _maxFrameBytes, out var frame, out var size);
                    if (status == FrameStatus.Incomplete)
                    {
                        break;
                    }

                    closeReason = status == FrameStatus.Invalid
                        ? size < 0
                            ? $"invalid frame size {size}"
                            : $"frame of {size} bytes is larger than socket.request.max.bytes ({_maxFrameBytes})"
                        : await AcceptRequestAsync(frame).ConfigureAwait(false);
                }
            }
            finally
            {
                // Exactly once per read: consumed up to the last whole frame, examined everything.
                input.AdvanceTo(buffer.Start, buffer.End);
            }

            if (closeReason is not null)
            {
                return closeReason;
            }

            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Decodes one frame and queues its handling; returns a reason when the connection must close instead.</summary>
    private async ValueTask<string?> AcceptRequestAsync(ReadOnlySequence<byte> frame)
    {
        if (frame.Length < HeaderPrefixSize)
        {
            return $"frame of {frame.Length} bytes is too short for a request header";
        }

        var (apiKey, version, correlationId) = ReadHeaderPrefix(frame);
        if (!_dispatcher.TryGetRoute(apiKey, out var route))
        {
            return $"unknown or unsupported API key {apiKey}";
        }

        if (!route.Range.Contains(version))
        {
            if (route.Info.ApiKey != ApiKey.ApiVersions)
            {
                return $"unsupported {route.Info.Name} version {version} (served: v{route.Range.MinVersion}-v{route.Range.MaxVersion})";
            }

            // Kafka answers an ApiVersions version it does not know instead of closing: a v0 body with
            // UNSUPPORTED_VERSION, so the client can retry with the highest version listed.
            GatewayLog.UnsupportedApiVersionsVersion(_logger, _connection.ConnectionId, version);
            var answer = RequestOutcome.Respond(_dispatcher.UnsupportedApiVersionsResponse());
            await _pending.Writer.WriteAsync(new PendingResponse(correlationId, route.Info, 0, Task.FromResult(answer)), _closed).ConfigureAwait(false);
            return null;
        }

        // Copy the frame into one pooled block: the request is decoded from contiguous memory (records are
        // slices of it, not copies) and the pipe's buffer is released at once.
        var length = (int)frame.Length;
        var owner = MemoryPool<byte>.Shared.Rent(length);
        var memory = owner.Memory[..length];
        frame.CopyTo(memory.Span);

        RequestHeader header;
        IRequest request;
        try
        {
            (header, request) = Decode(memory, route.Info, version);
        }
        catch (KafkaProtocolException ex)
        {
            owner.Dispose();
            return $"malformed {route.Info.Name} v{version} request: {ex.Message}";
        }

        var context = new KafkaRequestContext(_connection.ConnectionId, _connection.RemoteEndPoint, _connection.LocalEndPoint, header);
        var outcome = HandleAsync(route, context, request, version, owner);
        await _pending.Writer.WriteAsync(new PendingResponse(correlationId, route.Info, version, outcome), _closed).ConfigureAwait(false);
        return null;
    }

    private static (short ApiKey, short Version, int CorrelationId) ReadHeaderPrefix(ReadOnlySequence<byte> frame)
    {
        Span<byte> prefix = stackalloc byte[HeaderPrefixSize];
        frame.Slice(0, HeaderPrefixSize).CopyTo(prefix);
        return (BinaryPrimitives.ReadInt16BigEndian(prefix), BinaryPrimitives.ReadInt16BigEndian(prefix[2..]), BinaryPrimitives.ReadInt32BigEndian(prefix[4..]));
    }

    private static (RequestHeader Header, IRequest Request) Decode(ReadOnlyMemory<byte> frame, ApiMessageInfo api, short version)
    {
        var reader = new KafkaReader(frame);
        var header = new RequestHeader();
        header.Read(ref reader, api.RequestHeaderVersion(version));
        var request = api.CreateRequest();
        request.Read(ref reader, version);
        return (header, request);
    }

    /// <summary>Runs a handler to its outcome; never throws, so the write loop can await outcomes blindly.</summary>
    private async Task<RequestOutcome> HandleAsync(KafkaRequestDispatcher.Route route, KafkaRequestContext context, IRequest request, short version, IMemoryOwner<byte> frame)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var response = await route.Handler.HandleAsync(context, request, version, _closed).ConfigureAwait(false);
            _metrics.RequestHandled(route.Info.Name, started);
            return response is null ? RequestOutcome.NoResponse : RequestOutcome.Respond(response);
        }
        catch (OperationCanceledException) when (_closed.IsCancellationRequested)
        {
            return RequestOutcome.Close("the connection closed while the request was handled");
        }
        catch (CloseConnectionException ex)
        {
            _metrics.RequestHandled(route.Info.Name, started);
            return RequestOutcome.Close(ex.Message);
        }
        catch (Exception ex)
        {
            // A handler bug must not take the process down: Kafka disconnects the client in this case, and so do we.
            GatewayLog.HandlerFailed(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, route.Info.Name, version, context.CorrelationId, ex);
            return RequestOutcome.Close($"the {route.Info.Name} handler failed");
        }
        finally
        {
            frame.Dispose();
        }
    }

    /// <summary>Writes completed responses in request order, flushing when the next one is not ready yet.</summary>
    private async Task WriteResponsesAsync()
    {
        var reader = _pending.Reader;
        var output = _connection.Transport.Output;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var pending))
                {
                    var outcome = await pending.Outcome.ConfigureAwait(false);
                    if (outcome.CloseReason is not null)
                    {
                        // Earlier responses were written in order; send them, then stop reading and close.
                        await output.FlushAsync().ConfigureAwait(false);
                        Close(outcome.CloseReason);
                        return;
                    }

                    if (outcome.Response is not null && !TryWriteResponse(output, pending, outcome.Response))
                    {
                        Abort($"the {pending.Api.Name} response could not be encoded");
                        return;
                    }

                    if (!reader.TryPeek(out var next) || !next.Outcome.IsCompleted)
                    {
                        var flushed = await output.FlushAsync().ConfigureAwait(false);
                        if (flushed.IsCompleted || flushed.IsCanceled)
                        {
                            return;
                        }
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or ConnectionAbortedException or IOException or ObjectDisposedException)
        {
            // The client is gone; nothing left to send to.
        }
        finally
        {
            // Unblocks a read loop waiting for room in the queue.
            _pending.Writer.TryComplete();
        }
    }

    private bool TryWriteResponse(PipeWriter output, PendingResponse pending, IResponse response)
    {
        var api = pending.Api;
        try
        {
            WriteFrame(output, pending.CorrelationId, api.ResponseHeaderVersion(pending.Version), response, pending.Version);
            return true;
        }
        catch (KafkaProtocolException ex)
        {
            GatewayLog.ResponseWriteFailed(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, api.Name, pending.Version, ex);
            return false;
        }
    }

    /// <summary>Size prefix, response header, body: the size is reserved first and patched in once known.</summary>
    internal static void WriteFrame(PipeWriter output, int correlationId, short headerVersion, IResponse body, short version)
    {
        // The reserved bytes stay ours until FlushAsync: pipe writers hand written segments to the
        // reader only on flush, so the prefix is patched in place and the body is never copied.
        var sizeSlot = output.GetMemory(FrameReader.LengthPrefixSize)[..FrameReader.LengthPrefixSize];
        output.Advance(FrameReader.LengthPrefixSize);
        var writer = new KafkaWriter(output);
        new ResponseHeader { CorrelationId = correlationId }.Write(writer, headerVersion);
        body.Write(writer, version);
        BinaryPrimitives.WriteInt32BigEndian(sizeSlot.Span, checked((int)writer.BytesWritten));
    }

    /// <summary>Closes gracefully: the read loop stops at its next read and the connection ends once flushed output is sent.</summary>
    private void Close(string reason)
    {
        _metrics.ConnectionForciblyClosed();
        GatewayLog.ClosingConnection(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, reason);
        _pending.Writer.TryComplete();
        _connection.Transport.Input.CancelPendingRead();
    }

    /// <summary>Closes at once, discarding unflushed output (a response that could not be encoded is half-written).</summary>
    private void Abort(string reason)
    {
        _metrics.ConnectionForciblyClosed();
        GatewayLog.ClosingConnection(_logger, _connection.ConnectionId, _connection.RemoteEndPoint, reason);
        _connection.Abort(new ConnectionAbortedException(reason));
    }
}
