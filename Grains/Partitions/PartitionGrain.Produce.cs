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

        if (command.Acks == -1 && open.Replication is { } replication && replication.Isr.Count < MinInsyncReplicas(open))
        {
            // Kafka refuses before appending, so nothing is written that could not be acknowledged.
            return ProduceResult.Failed(KafkaErrorCode.NotEnoughReplicas,
                $"The ISR has {replication.Isr.Count} replica(s), fewer than min.insync.replicas={MinInsyncReplicas(open)}.");
        }

        var result = Append(open, command.Records, out var lastOffset);
        if (result.Error != KafkaErrorCode.None)
        {
            return result;
        }

        open.Replication?.UpdateHighWatermark(open.Log.LogEndOffset);
        Signal();
        if (command.Acks == -1 && HighWatermark(open) <= lastOffset)
        {
            // acks=-1: the answer waits until every in-sync replica holds the batch (the high watermark passes it). The
            // wait happens in AwaitReplication, an interleaved call, so appends keep flowing meanwhile.
            return result with { AwaitOffset = lastOffset + 1, AwaitEpoch = open.LeaderEpoch };
        }

        return result;
    }

    private ProduceResult Append(OpenPartition open, ReadOnlyMemory<byte> records, out long lastOffset)
    {
        lastOffset = -1;
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
            lastOffset = check.DuplicateFirstOffset + header.LastOffsetDelta;
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

        lastOffset = appended.LastOffset;

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
