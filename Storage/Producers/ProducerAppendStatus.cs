namespace Orleans.Kafka.Storage.Producers;

/// <summary>
/// Outcome of checking a producer's batch against its state. Values are Kafka's error codes, so
/// the broker maps them 1:1 (Storage does not reference Protocol).
/// </summary>
public enum ProducerAppendStatus : short
{
    /// <summary>NONE: in order (or the producer's first batch); append it.</summary>
    Ok = 0,

    /// <summary>OUT_OF_ORDER_SEQUENCE_NUMBER: a gap, or a new epoch not starting at sequence 0.</summary>
    OutOfOrderSequence = 45,

    /// <summary>
    /// DUPLICATE_SEQUENCE_NUMBER: the batch matches one of the producer's last five; don't append.
    /// Kafka answers such a produce with NONE and the original batch's offsets, which the check carries.
    /// </summary>
    Duplicate = 46,

    /// <summary>INVALID_PRODUCER_EPOCH: the epoch is older than the producer's current one (fenced).</summary>
    InvalidProducerEpoch = 47,

    /// <summary>INVALID_TXN_STATE: a non-transactional batch while the producer's transaction is open.</summary>
    InvalidTxnState = 48,

    /// <summary>TRANSACTION_COORDINATOR_FENCED: a marker from an older coordinator epoch.</summary>
    TransactionCoordinatorFenced = 52,

    /// <summary>
    /// UNKNOWN_PRODUCER_ID: no state for the producer and a sequence other than 0. Only when
    /// <see cref="ProducerStateOptions.RejectUnknownProducerNonZeroSequence"/> is set; current Kafka
    /// accepts such a batch (its state may have expired by retention).
    /// </summary>
    UnknownProducerId = 59,
}
