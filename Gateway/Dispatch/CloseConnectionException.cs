namespace Orleans.Kafka.Gateway.Dispatch;

/// <summary>
/// Thrown by a handler when Kafka's answer to a request is to drop the connection (e.g. a failed acks=0 produce,
/// whose only way to tell the client is the disconnect). Logged as an orderly close with the reason, not as a failure.
/// </summary>
public sealed class CloseConnectionException : Exception
{
    public CloseConnectionException()
    {
    }

    public CloseConnectionException(string reason)
        : base(reason)
    {
    }

    public CloseConnectionException(string reason, Exception innerException)
        : base(reason, innerException)
    {
    }
}
