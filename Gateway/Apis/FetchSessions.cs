using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Incremental fetch sessions (KIP-227) are declined, in the way the protocol allows a broker whose session cache is
/// full: a full fetch that asks for a new session (epoch 0) is answered with session id 0, so the client keeps sending
/// full requests; a sessionless full fetch (epoch -1) is served as is; an incremental fetch (epoch &gt; 0) names a
/// session this broker never created and gets FETCH_SESSION_ID_NOT_FOUND (or INVALID_FETCH_SESSION_EPOCH without a
/// session id), after which clients fall back to a full fetch. No client can therefore believe in a session, and every
/// answer is computed from the request's own partition list.
/// </summary>
internal static class FetchSessions
{
    public const int FinalEpoch = -1;
    public const int InitialEpoch = 0;

    /// <summary>The top-level error for a request's session fields, or None when it is served as a full fetch.</summary>
    public static KafkaErrorCode Check(int sessionId, int sessionEpoch) => sessionEpoch switch
    {
        FinalEpoch or InitialEpoch => KafkaErrorCode.None,
        _ when sessionId == 0 => KafkaErrorCode.InvalidFetchSessionEpoch,
        _ => KafkaErrorCode.FetchSessionIdNotFound,
    };
}
