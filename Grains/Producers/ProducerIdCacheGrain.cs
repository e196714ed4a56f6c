using Orleans.Concurrency;
using Orleans.Kafka.Producers;

namespace Orleans.Kafka.Grains.Producers;

/// <summary>
/// One activation per silo holding the current block of producer ids. Non-reentrant: calls take
/// ids one after another, and only one of them at a time fetches a new block.
/// </summary>
[StatelessWorker(1)]
public sealed class ProducerIdCacheGrain(IGrainFactory grains) : Grain, IProducerIdCacheGrain
{
    private long _next;
    private long _end;

    public async Task<long> NextProducerId()
    {
        if (_next >= _end)
        {
            var block = await grains.GetGrain<IProducerIdGrain>(IProducerIdGrain.Key).AllocateBlock();
            _next = block.FirstId;
            _end = block.EndId;
        }

        return _next++;
    }
}
