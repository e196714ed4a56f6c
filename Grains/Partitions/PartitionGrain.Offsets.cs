using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Log;

namespace Orleans.Kafka.Grains.Partitions;

public sealed partial class PartitionGrain
{
    public async Task<ListOffsetResult> ListOffset(ListOffsetCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var (error, open) = await ResolveAsync(command.TopicId);
        if (error == KafkaErrorCode.None)
        {
            error = CheckLeaderEpoch(open, command.CurrentLeaderEpoch);
        }

        if (error != KafkaErrorCode.None)
        {
            return new ListOffsetResult(error, -1, -1, -1);
        }

        var end = FetchableEnd(open, command.Isolation);
        var found = command.Timestamp switch
        {
            OffsetSpec.Latest => new TimestampOffset(-1, end),
            OffsetSpec.Earliest or OffsetSpec.EarliestLocal => new TimestampOffset(-1, open.Log.LogStartOffset),
            OffsetSpec.MaxTimestamp => MaxTimestampOffset(open.Log),
            // No tiered storage: nothing is pending upload and nothing is tiered.
            OffsetSpec.EarliestPendingUpload or OffsetSpec.LatestTiered => (TimestampOffset?)null,
            _ => open.Log.OffsetForTimestamp(command.Timestamp),
        };

        // A lookup never answers an offset the client may not read yet.
        if (found is not { } hit || (command.Timestamp >= 0 || command.Timestamp == OffsetSpec.MaxTimestamp) && hit.Offset >= end)
        {
            return new ListOffsetResult(KafkaErrorCode.None, -1, -1, -1);
        }

        return new ListOffsetResult(KafkaErrorCode.None, hit.Timestamp, hit.Offset, open.Epochs.EpochAt(hit.Offset));
    }

    /// <summary>The offset of the (first) record with the largest timestamp, and that timestamp; null for an empty log.</summary>
    private static TimestampOffset? MaxTimestampOffset(PartitionLog log)
    {
        var max = -1L;
        foreach (var segment in log.Segments)
        {
            max = Math.Max(max, segment.MaxTimestamp);
        }

        return max < 0 ? null : log.OffsetForTimestamp(max);
    }

    public async Task<EpochEndOffsetResult> OffsetForLeaderEpoch(Guid topicId, int currentLeaderEpoch, int leaderEpoch)
    {
        var (error, open) = await ResolveAsync(topicId);
        if (error == KafkaErrorCode.None)
        {
            error = CheckLeaderEpoch(open, currentLeaderEpoch);
        }

        if (error != KafkaErrorCode.None)
        {
            return new EpochEndOffsetResult(error, -1, -1);
        }

        var (epoch, endOffset) = open.Epochs.EndOffsetFor(leaderEpoch, open.Log.LogEndOffset);
        return new EpochEndOffsetResult(KafkaErrorCode.None, epoch, endOffset);
    }

    public async Task<DeleteRecordsResult> DeleteRecords(Guid topicId, long offset)
    {
        var (error, open) = await ResolveAsync(topicId);
        if (error != KafkaErrorCode.None)
        {
            return new DeleteRecordsResult(error, -1);
        }

        if (!open.Settings.AllowsDeleteRecords)
        {
            return new DeleteRecordsResult(KafkaErrorCode.PolicyViolation, -1,
                "Records of a topic whose cleanup.policy does not include delete cannot be deleted.");
        }

        var hw = HighWatermark(open);
        var target = offset == -1 ? hw : offset;
        if (target < 0 || target > hw)
        {
            return new DeleteRecordsResult(KafkaErrorCode.OffsetOutOfRange, -1,
                $"Cannot delete records before {offset}: the high watermark is {hw}.");
        }

        var before = open.Log.LogStartOffset;
        var low = open.Log.DeleteRecordsBefore(target);
        if (low > before)
        {
            open.Producers.DeleteSnapshotsBelow(low);
            open.Epochs.TruncateFromStart(low);
            PartitionGrainLog.RecordsDeleted(logger, _topic, _partition, low);
        }

        return new DeleteRecordsResult(KafkaErrorCode.None, low);
    }
}
