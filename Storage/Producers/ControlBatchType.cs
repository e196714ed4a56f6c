namespace Orleans.Kafka.Storage.Producers;

/// <summary>The type in a control record's key (Kafka's ControlRecordType): how a transaction ended.</summary>
public enum ControlBatchType : short
{
    Abort = 0,
    Commit = 1,
}
