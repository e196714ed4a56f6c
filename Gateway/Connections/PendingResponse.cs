using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Connections;

/// <summary>How a request ended: a response to send, nothing to send, or a reason to close the connection.</summary>
internal readonly record struct RequestOutcome(IResponse? Response, string? CloseReason)
{
    public static readonly RequestOutcome NoResponse = new(null, null);

    public static RequestOutcome Respond(IResponse? response) => new(response, null);

    public static RequestOutcome Close(string reason) => new(null, reason);
}

/// <summary>
/// A request's place in its connection's response order: responses are written in the order
/// requests arrived, whatever order their handlers finish in (Kafka's per-connection rule).
/// </summary>
internal sealed class PendingResponse(int correlationId, ApiMessageInfo api, short version, Task<RequestOutcome> outcome)
{
    public int CorrelationId { get; } = correlationId;

    public ApiMessageInfo Api { get; } = api;

    public short Version { get; } = version;

    public Task<RequestOutcome> Outcome { get; } = outcome;
}
