using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Producers;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Grains.Partitions;

public sealed partial class PartitionGrain
{
    public async Task<ProduceResult> Produce(ProduceCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (error, open) = await ResolveAsync(command.TopicId);
        if (error == KafkaErrorCode.None && command.ConfigOverrides is { } seen && !SameConfigs(seen, open.Overrides))
        {
            // The caller saw other topic configs than this log was opened with: one of us is behind; the registry decides.
            await ReloadConfig();
            (error, open) = await ResolveAsync(command.TopicId);
        }

        if (error != KafkaErrorCode.None)
        {
            return ProduceResult.Failed(error, null);
        }

        var result = Append(open, command.Records);
        if (result.Error != KafkaErrorCode.None)
        {
            return result;
        }

        Signal();
        if (command.Acks == -1)
        {
            await AwaitInSyncReplicas(open, result);
        }

        return result;
    }

    /// <summary>
    /// acks=-1: the answer waits until every in-sync replica holds the batch, i.e. the high watermark passes it. With one
    /// replica the high watermark is the log end, which the append already moved; replication will make this wait.
    /// </summary>
    private static Task AwaitInSyncReplicas(OpenPartition open, ProduceResult result)
    {
        System.Diagnostics.Debug.Assert(HighWatermark(open) > result.BaseOffset, "a leader-only append moves the high watermark");
        return Task.CompletedTask;
    }

    private ProduceResult Append(OpenPartition open, ReadOnlyMemory<byte> records)
    {
        // A produce request carries exactly one batch per partition (v3+); the gateway checks that, this re-checks the
        // header before the producer checks read it. The log validates everything else (CRC, sizes, records, timestamps).
        var span = records.Span;
        if (!RecordBatchHeader.TryRead(span, out var header) || header.Magic != RecordBatchHeader.CurrentMagic
            || !RecordBatch.TryPeekSize(span, out var size) || size != span.Length)
        {
            return ProduceResult.Failed(KafkaErrorCode.CorruptMessage, "The records are not one well-formed magic v2 record batch.");
        }

        if (header.IsControl)
        {
            return ProduceResult.Failed(KafkaErrorCode.InvalidRecord, "Clients may not produce control batches.");
        }

        if (header.IsTransactional)
        {
            // No transaction coordinator yet: no producer can have begun a transaction on this partition, which is
            // what Kafka (KIP-890 verification) answers with INVALID_TXN_STATE.
            return ProduceResult.Failed(KafkaErrorCode.InvalidTxnState, "Transactions are not supported by this broker yet.");
        }

        if (open.Compaction is not null)
        {
            var keys = CompactedTopicKeys.Check(span, new System.Buffers.ArrayBufferWriter<byte>(), _topic, _partition, out var keyMessage);
            if (keys != KafkaErrorCode.None)
            {
                return ProduceResult.Failed(keys, keyMessage);
            }
        }

        var check = header.ProducerId >= 0 ? open.Producers.Check(header) : ProducerCheckResult.Ok;
        if (check.IsDuplicate)
        {
            // Kafka's answer to a retried batch it already has: success with the original offsets.
            return new ProduceResult(KafkaErrorCode.None, check.DuplicateFirstOffset, -1, open.Log.LogStartOffset);
        }

        if (!check.IsOk)
        {
            return ProduceResult.Failed((KafkaErrorCode)(short)check.Status, check.Message);
        }

        if (BatchRecompressor.Needed(header.Compression, open.Settings.StoredCompression))
        {
            try
            {
                records = BatchRecompressor.Recompress(span, header, open.Settings.StoredCompression!.Value);
            }
            catch (InvalidDataException ex)
            {
                return ProduceResult.Failed(KafkaErrorCode.CorruptMessage, $"The record batch does not decompress: {ex.Message}");
            }
        }

        AppendResult appended;
        try
        {
            appended = open.Log.Append(records, open.LeaderEpoch);
        }
        catch (LogException ex)
        {
            PartitionGrainLog.AppendRejected(logger, _topic, _partition, ex.Kind, ex.Message);
            return ProduceResult.Failed(ToErrorCode(ex.Kind), ex.Message);
        }

        if (header.ProducerId >= 0)
        {
            open.Producers.OnAppended(header, appended.FirstOffset, appended.LastOffset);
        }

        return new ProduceResult(KafkaErrorCode.None, appended.FirstOffset, appended.LogAppendTime, appended.LogStartOffset);
    }

    internal static KafkaErrorCode ToErrorCode(LogErrorKind kind) => kind switch
    {
        LogErrorKind.CorruptMessage => KafkaErrorCode.CorruptMessage,
        LogErrorKind.InvalidRecord => KafkaErrorCode.InvalidRecord,
        LogErrorKind.MessageTooLarge => KafkaErrorCode.MessageTooLarge,
        LogErrorKind.RecordListTooLarge => KafkaErrorCode.RecordListTooLarge,
        LogErrorKind.InvalidTimestamp => KafkaErrorCode.InvalidTimestamp,
        LogErrorKind.OffsetOutOfRange => KafkaErrorCode.OffsetOutOfRange,
        _ => KafkaErrorCode.UnknownServerError,
    };
}
