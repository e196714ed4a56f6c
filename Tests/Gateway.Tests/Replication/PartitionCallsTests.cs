using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Tests.Replication;

/// <summary>Topic resolution for produce and fetch when the registry cannot answer (its silo just died).</summary>
public sealed class PartitionCallsTests
{
    [Fact]
    public async Task A_failing_registry_lookup_is_answered_from_the_expired_cache_entry()
    {
        var grains = new FakeTopicGrains().Add("orders", new PartitionInfo(0, 1, 3, [1, 2], [1, 2]));
        var clock = new SteppingClock();
        var calls = new PartitionCalls(grains.Factory(), NullLogger<PartitionCalls>.Instance, clock);
        var first = (await calls.ResolveNamesAsync(["orders"]))["orders"];
        Assert.NotNull(first);

        clock.Advance(PartitionCalls.CacheTtl * 2);
        grains.FailingLookups.Add("orders");
        grains.FailingTopicGrains.Add("orders");
        var stale = (await calls.ResolveNamesAsync(["orders"]))["orders"];

        Assert.Same(first, stale);
    }

    [Fact]
    public async Task A_failing_lookup_of_a_topic_never_seen_fails_the_call()
    {
        var grains = new FakeTopicGrains().Add("orders", new PartitionInfo(0, 1, 3, [1], [1]));
        grains.FailingLookups.Add("orders");
        grains.FailingTopicGrains.Add("orders");
        var calls = new PartitionCalls(grains.Factory(), NullLogger<PartitionCalls>.Instance, new SteppingClock());

        await Assert.ThrowsAsync<Orleans.Runtime.SiloUnavailableException>(() => calls.ResolveNamesAsync(["orders"]));
    }

    [Fact]
    public async Task A_failing_registry_lookup_is_answered_by_the_topic_grain()
    {
        var grains = new FakeTopicGrains().Add("orders", new PartitionInfo(0, 2, 9, [2, 1], [2, 1]));
        grains.FailingLookups.Add("orders");
        var calls = new PartitionCalls(grains.Factory(), NullLogger<PartitionCalls>.Instance, new SteppingClock());

        var topic = (await calls.ResolveNamesAsync(["orders"]))["orders"];

        Assert.Equal(9, topic!.Partitions[0].LeaderEpoch);
    }

    /// <summary>A clock whose timestamps move only when told (the cache's expiry reads timestamps).</summary>
    private sealed class SteppingClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
