using Microsoft.Extensions.Logging;
using Orleans.Kafka.Gateway.Dispatch;
using Orleans.Kafka.Producers;
using Orleans.Kafka.Protocol;
using Orleans.Runtime;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// InitProducerId v0-v5 for idempotent producers. As Kafka's transaction coordinator does for a
/// null transactional id, every request gets a fresh producer id with epoch 0: the broker keeps no
/// central record of idempotent producers, so a KIP-360 request (v3+) carrying the producer's
/// current id and epoch is also answered with a new id rather than a bumped epoch. Ids come from
/// the silo's <see cref="IProducerIdCacheGrain"/>, which draws blocks from the persisted allocator.
/// </summary>
/// <remarks>
/// A transactional id is not served yet: a non-empty one gets COORDINATOR_NOT_AVAILABLE (what a
/// broker answers while no transaction coordinator is available; clients retry), an empty one
/// INVALID_REQUEST (Kafka's rule). transaction.timeout.ms is only validated for transactions.
/// If no id can be had (the allocator or its storage is unreachable) the answer is
/// COORDINATOR_LOAD_IN_PROGRESS, Kafka's error while its producer-id block is not available;
/// clients retry it.
/// </remarks>
internal sealed partial class InitProducerIdHandler(IGrainFactory grains, ILogger<InitProducerIdHandler> logger)
    : KafkaApiHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    /// <summary>Kafka's RecordBatch.NO_PRODUCER_EPOCH, sent with an error.</summary>
    private const short NoProducerEpoch = -1;

    public override ApiKey ApiKey => ApiKey.InitProducerId;

    public override short MinVersion => 0;

    public override short MaxVersion => 5;

    protected override async ValueTask<InitProducerIdResponse?> HandleAsync(KafkaRequestContext context, InitProducerIdRequest request, short version, CancellationToken cancellationToken)
    {
        if (request.TransactionalId is { } transactionalId)
        {
            return Error(transactionalId.Length == 0 ? KafkaErrorCode.InvalidRequest : KafkaErrorCode.CoordinatorNotAvailable);
        }

        long producerId;
        try
        {
            producerId = await grains.GetGrain<IProducerIdCacheGrain>(0).NextProducerId().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            LogNoProducerId(logger, ex);
            return Error(KafkaErrorCode.CoordinatorLoadInProgress);
        }
        catch (OrleansException ex)
        {
            LogNoProducerId(logger, ex);
            return Error(KafkaErrorCode.CoordinatorLoadInProgress);
        }

        return new InitProducerIdResponse { ErrorCode = (short)KafkaErrorCode.None, ProducerId = producerId, ProducerEpoch = 0 };
    }

    private static InitProducerIdResponse Error(KafkaErrorCode error) =>
        new() { ErrorCode = (short)error, ProducerId = -1, ProducerEpoch = NoProducerEpoch };

    [LoggerMessage(EventId = 1190, Level = LogLevel.Warning, Message = "InitProducerId could not get a producer id; answering COORDINATOR_LOAD_IN_PROGRESS")]
    private static partial void LogNoProducerId(ILogger logger, Exception exception);
}
