using Orleans.Kafka.Producers;
using Orleans.Runtime;

namespace Orleans.Kafka.Grains.Tests.Producers;

public sealed class ProducerIdAllocatorTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    [Fact]
    public async Task Concurrent_calls_get_distinct_ids_across_block_boundaries()
    {
        var cache = fixture.Grains.GetGrain<IProducerIdCacheGrain>(0);
        var ids = await Task.WhenAll(Enumerable.Range(0, (IProducerIdGrain.BlockSize * 2) + 50).Select(_ => cache.NextProducerId()));
        Assert.Equal(ids.Length, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(id >= 0));
    }

    [Fact]
    public async Task Concurrent_block_allocations_never_overlap()
    {
        var allocator = fixture.Grains.GetGrain<IProducerIdGrain>(IProducerIdGrain.Key);
        var blocks = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => allocator.AllocateBlock()));
        var ordered = blocks.OrderBy(b => b.FirstId).ToList();
        Assert.All(ordered, b => Assert.Equal(IProducerIdGrain.BlockSize, b.Size));
        for (var i = 1; i < ordered.Count; i++)
        {
            Assert.True(ordered[i].FirstId >= ordered[i - 1].EndId);
        }
    }

    [Fact]
    public async Task Ids_never_repeat_after_the_grains_are_deactivated()
    {
        var cache = fixture.Grains.GetGrain<IProducerIdCacheGrain>(0);
        var before = new List<long>();
        for (var i = 0; i < 5; i++)
        {
            before.Add(await cache.NextProducerId());
        }

        await fixture.Grains.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero);

        var after = await cache.NextProducerId();
        Assert.DoesNotContain(after, before);
        // The cache lost its block, so the id comes from a newer one.
        Assert.True(after >= before.Max() - (before.Max() % IProducerIdGrain.BlockSize) + IProducerIdGrain.BlockSize);
    }
}

public sealed class ProducerIdRestartTests
{
    [Fact]
    public async Task Ids_never_repeat_across_silo_restarts_with_file_storage()
    {
        var root = Path.Combine(Path.GetTempPath(), "okafka-pid-" + Guid.NewGuid().ToString("N"));
        try
        {
            var seen = new HashSet<long>();
            for (var run = 0; run < 2; run++)
            {
                await using var cluster = await TopicClusters.StartAsync(1, fileStorageRoot: root);
                var cache = cluster.Client.GetGrain<IProducerIdCacheGrain>(0);
                var ids = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => cache.NextProducerId()));
                foreach (var id in ids)
                {
                    Assert.True(seen.Add(id), $"producer id {id} was handed out twice");
                }
            }

            Assert.Equal(20, seen.Count);
        }
        finally
        {
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }
        }
    }
}
