using Microsoft.Extensions.Logging;
using Orleans.Kafka.Producers;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Producers;

/// <summary>
/// The producer-id allocator (key <see cref="IProducerIdGrain.Key"/>). Non-reentrant, so blocks are
/// handed out one at a time; each is persisted (the cursor moved past it) before it is returned.
/// </summary>
public sealed partial class ProducerIdGrain(
    [PersistentState("producerIds", "kafka")] IPersistentState<ProducerIdState> state,
    ILogger<ProducerIdGrain> logger) : Grain, IProducerIdGrain
{
    public async Task<ProducerIdBlock> AllocateBlock()
    {
        var first = state.State.NextBlockStart;
        if (first > long.MaxValue - IProducerIdGrain.BlockSize)
        {
            throw new InvalidOperationException("The producer id space is exhausted.");
        }

        state.State.NextBlockStart = first + IProducerIdGrain.BlockSize;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception)
        {
            // Not persisted: the block is not handed out. The stored cursor (and its ETag) may now
            // differ from ours, so start over from storage on the next call.
            state.State.NextBlockStart = first;
            DeactivateOnIdle();
            throw;
        }

        LogBlockAllocated(logger, first, first + IProducerIdGrain.BlockSize - 1);
        return new ProducerIdBlock(first, IProducerIdGrain.BlockSize);
    }

    [LoggerMessage(EventId = 3421, Level = LogLevel.Information, Message = "Allocated producer ids {FirstId}..{LastId}")]
    private static partial void LogBlockAllocated(ILogger logger, long firstId, long lastId);
}
