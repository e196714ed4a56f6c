using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;
using static Orleans.Kafka.Protocol.CreatePartitionsResponse;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>CreatePartitions v0-v3: raises a topic's partition count through its topic grain.</summary>
internal sealed class CreatePartitionsHandler(IGrainFactory grains) : KafkaApiHandler<CreatePartitionsRequest, CreatePartitionsResponse>
{
    public override ApiKey ApiKey => ApiKey.CreatePartitions;

    public override short MinVersion => 0;

    public override short MaxVersion => 3;

    protected override async ValueTask<CreatePartitionsResponse?> HandleAsync(KafkaRequestContext context, CreatePartitionsRequest request, short version, CancellationToken cancellationToken)
    {
        var duplicates = request.Topics.GroupBy(t => t.Name, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        var results = new List<Task<CreatePartitionsTopicResult>>();
        foreach (var topic in request.Topics)
        {
            if (!duplicates.Contains(topic.Name))
            {
                results.Add(CreateAsync(topic, request.ValidateOnly, request.TimeoutMs, cancellationToken));
            }
        }

        foreach (var name in duplicates)
        {
            results.Add(Task.FromResult(Result(name, KafkaErrorCode.InvalidRequest, "Duplicate topic in request.")));
        }

        return new CreatePartitionsResponse { Results = [.. await Task.WhenAll(results).ConfigureAwait(false)] };
    }

    private async Task<CreatePartitionsTopicResult> CreateAsync(CreatePartitionsRequest.CreatePartitionsTopic topic, bool validateOnly, int timeoutMs, CancellationToken cancellationToken)
    {
        if (TopicNames.Validate(topic.Name) is not null)
        {
            return Result(topic.Name, KafkaErrorCode.UnknownTopicOrPartition, $"The topic '{topic.Name}' does not exist.");
        }

        IReadOnlyList<IReadOnlyList<int>>? assignments = topic.Assignments is null
            ? null
            : [.. topic.Assignments.Select(a => (IReadOnlyList<int>)[.. a.BrokerIds])];
        var grain = grains.GetGrain<ITopicGrain>(topic.Name);
        var result = await AdminTimeouts.WithinAsync(grain.CreatePartitions(topic.Count, assignments, validateOnly), timeoutMs, cancellationToken).ConfigureAwait(false);
        return result is null
            ? Result(topic.Name, KafkaErrorCode.RequestTimedOut, $"Timed out after {timeoutMs} ms waiting for partitions to be created.")
            : Result(topic.Name, result.Error, result.Message);
    }

    private static CreatePartitionsTopicResult Result(string name, KafkaErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = error == KafkaErrorCode.None ? null : message,
    };
}
