using System.Text;
using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Grains.Groups;

/// <summary>Committed offsets: OffsetCommit, OffsetFetch, OffsetDelete and offsets.retention.minutes.</summary>
public sealed partial class ConsumerGroupGrain
{
    private const string ConsumerProtocolType = "consumer";

    public async Task<IReadOnlyList<PartitionOffsetError>> CommitOffsets(OffsetCommitCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var error = ValidateCommit(command);
        if (error != KafkaErrorCode.None)
        {
            return [.. command.Offsets.Select(o => new PartitionOffsetError(o.Topic, o.Partition, error))];
        }

        var now = NowMs;
        var expire = command.RetentionTimeMs > 0 ? now + command.RetentionTimeMs : -1;
        var results = new List<PartitionOffsetError>(command.Offsets.Count);
        var previous = new List<(string Topic, int Partition, CommittedOffset? Old)>();
        foreach (var entry in command.Offsets)
        {
            var metadata = entry.Metadata ?? "";
            if (Encoding.UTF8.GetByteCount(metadata) > _options.OffsetMetadataMaxBytes)
            {
                results.Add(new PartitionOffsetError(entry.Topic, entry.Partition, KafkaErrorCode.OffsetMetadataTooLarge));
                continue;
            }

            if (!Stored.Offsets.TryGetValue(entry.Topic, out var partitions))
            {
                partitions = [];
                Stored.Offsets[entry.Topic] = partitions;
            }

            previous.Add((entry.Topic, entry.Partition, partitions.GetValueOrDefault(entry.Partition)));
            partitions[entry.Partition] = new CommittedOffset(entry.Offset, entry.LeaderEpoch, metadata, now, expire);
            results.Add(new PartitionOffsetError(entry.Topic, entry.Partition, KafkaErrorCode.None));
        }

        if (previous.Count == 0)
        {
            return results;
        }

        if (_members.Count == 0 && ConsumerMemberCount == 0 && Stored.EmptySinceMs < 0)
        {
            Stored.EmptySinceMs = now;
        }

        _dirty = true;
        try
        {
            await EnsureRegisteredAsync();
            await FlushIfDirtyAsync();
        }
        catch
        {
            // Not durable, so not committed: put back what the failed write would have replaced, then report the failure.
            RestoreOffsets(previous);
            throw;
        }

        return results;
    }

    /// <summary>Kafka's checks of a commit against the group (GroupCoordinator.validateOffsetCommit and state rules).</summary>
    private KafkaErrorCode ValidateCommit(OffsetCommitCommand command)
    {
        if (IsConsumerProtocolGroup)
        {
            return ValidateConsumerGroupCommit(command);
        }

        var simple = command.GenerationId < 0 && command.MemberId.Length == 0 && command.GroupInstanceId is null;
        if (simple)
        {
            // assign() users store offsets without joining; only members may commit while the group has members.
            return _members.Count == 0 ? KafkaErrorCode.None : KafkaErrorCode.UnknownMemberId;
        }

        if (!Stored.Exists && _members.Count == 0 && command.GenerationId >= 0)
        {
            return KafkaErrorCode.IllegalGeneration;
        }

        if (IsFenced(command.GroupInstanceId, command.MemberId))
        {
            return KafkaErrorCode.FencedInstanceId;
        }

        if (!_members.TryGetValue(command.MemberId, out var member))
        {
            return KafkaErrorCode.UnknownMemberId;
        }

        if (command.GenerationId != Stored.Generation)
        {
            return KafkaErrorCode.IllegalGeneration;
        }

        if (_groupState == GroupStates.CompletingRebalance)
        {
            // The member has the new generation but not its assignment yet.
            return KafkaErrorCode.RebalanceInProgress;
        }

        ArmSession(member);
        return KafkaErrorCode.None;
    }

    /// <summary>
    /// OffsetFetch. require_stable asks to wait out pending transactional offset commits (UNSTABLE_OFFSET_COMMIT); there are
    /// no transactional commits yet (TxnOffsetCommit is not implemented), so every committed offset is stable.
    /// </summary>
    public Task<OffsetFetchResult> FetchOffsets(IReadOnlyList<TopicPartitions>? topics, bool requireStable)
    {
        var offsets = new List<FetchedOffset>();
        if (topics is null)
        {
            foreach (var (topic, partitions) in Stored.Offsets.OrderBy(t => t.Key, StringComparer.Ordinal))
            {
                offsets.AddRange(partitions.OrderBy(p => p.Key).Select(p => Fetched(topic, p.Key, p.Value)));
            }
        }
        else
        {
            foreach (var request in topics)
            {
                var partitions = Stored.Offsets.GetValueOrDefault(request.Topic);
                offsets.AddRange(request.Partitions.Select(p => Fetched(request.Topic, p, partitions?.GetValueOrDefault(p))));
            }
        }

        return Task.FromResult(new OffsetFetchResult(KafkaErrorCode.None, offsets));
    }

    public async Task<OffsetDeleteResult> DeleteOffsets(IReadOnlyList<TopicPartitions> topics)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (!Stored.Exists && _members.Count == 0)
        {
            return new OffsetDeleteResult(KafkaErrorCode.GroupIdNotFound, []);
        }

        HashSet<string>? subscribed = ConsumerMemberCount > 0 ? [.. ConsumerGroup().SubscribedTopicNames()] : null;
        if (_members.Count > 0)
        {
            if (Stored.ProtocolType != ConsumerProtocolType)
            {
                return new OffsetDeleteResult(KafkaErrorCode.NonEmptyGroup, []);
            }

            subscribed = SubscribedTopics();
        }

        var results = new List<PartitionOffsetError>();
        foreach (var request in topics)
        {
            // A subscription we cannot read (null set entry) counts as subscribed to everything, as in Kafka.
            var inUse = subscribed is not null && (subscribed.Count == 0 || subscribed.Contains(request.Topic));
            foreach (var partition in request.Partitions)
            {
                if (inUse)
                {
                    results.Add(new PartitionOffsetError(request.Topic, partition, KafkaErrorCode.GroupSubscribedToTopic));
                    continue;
                }

                if (Stored.Offsets.TryGetValue(request.Topic, out var partitions) && partitions.Remove(partition))
                {
                    _dirty = true;
                    if (partitions.Count == 0)
                    {
                        Stored.Offsets.Remove(request.Topic);
                    }
                }

                results.Add(new PartitionOffsetError(request.Topic, partition, KafkaErrorCode.None));
            }
        }

        await FlushIfDirtyAsync();
        return new OffsetDeleteResult(KafkaErrorCode.None, results);
    }

    /// <summary>Topics the members subscribe to; an empty set means "unknown" (some member's subscription is unreadable).</summary>
    private HashSet<string> SubscribedTopics()
    {
        var topics = new HashSet<string>(StringComparer.Ordinal);
        foreach (var member in _members.Values)
        {
            var metadata = member.MetadataFor(Stored.ProtocolName ?? member.Protocols[0].Name);
            if (ConsumerSubscription.TryReadTopics(metadata) is not { } subscribed)
            {
                return [];
            }

            topics.UnionWith(subscribed);
        }

        return topics;
    }

    /// <summary>
    /// Kafka's offset expiry: an explicit expire timestamp (v2-v4 retention) wins; otherwise a group that used the
    /// protocol keeps its offsets while it has members and loses them offsets.retention.minutes after it became empty,
    /// and a group that only stores offsets loses each one that long after its commit. An empty group left with no
    /// offsets is removed.
    /// </summary>
    private async Task ExpireOffsetsAsync()
    {
        if (!Stored.Exists || _members.Count > 0 || _pending.Count > 0 || ConsumerMemberCount > 0 || _groupState != GroupStates.Empty)
        {
            return;
        }

        var now = NowMs;
        var retentionMs = _options.OffsetsRetentionMinutes * 60_000L;
        var usesProtocol = Stored.ProtocolType.Length > 0;
        var expired = 0;
        foreach (var (topic, partitions) in Stored.Offsets.ToList())
        {
            foreach (var (partition, offset) in partitions.ToList())
            {
                var baseMs = usesProtocol && Stored.EmptySinceMs >= 0 ? Stored.EmptySinceMs : offset.CommitTimestampMs;
                var isExpired = offset.ExpireTimestampMs >= 0 ? now >= offset.ExpireTimestampMs : now - baseMs >= retentionMs;
                if (isExpired)
                {
                    partitions.Remove(partition);
                    expired++;
                }
            }

            if (partitions.Count == 0)
            {
                Stored.Offsets.Remove(topic);
            }
        }

        if (expired > 0)
        {
            GroupLog.OffsetsExpired(logger, GroupId, expired);
            _dirty = true;
        }

        if (Stored.Offsets.Count == 0)
        {
            await RemoveGroupAsync("no members and no committed offsets left");
        }
    }

    private void RestoreOffsets(List<(string Topic, int Partition, CommittedOffset? Old)> previous)
    {
        foreach (var (topic, partition, old) in previous)
        {
            var partitions = Stored.Offsets[topic];
            if (old is null)
            {
                partitions.Remove(partition);
            }
            else
            {
                partitions[partition] = old;
            }

            if (partitions.Count == 0)
            {
                Stored.Offsets.Remove(topic);
            }
        }
    }

    private static FetchedOffset Fetched(string topic, int partition, CommittedOffset? offset) =>
        offset is null
            ? new FetchedOffset(topic, partition, -1, -1, "")
            : new FetchedOffset(topic, partition, offset.Offset, offset.LeaderEpoch, offset.Metadata);
}
