using Orleans.Kafka.Grains.Groups;
using Orleans.Kafka.Groups;

namespace Orleans.Kafka.Grains.Tests.GroupRegistry;

/// <summary>The group catalogue ListGroups reads: idempotent register/unregister, persistence, failed writes.</summary>
public sealed class GroupRegistryTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    private static IGroupRegistryGrain Registry(IGrainFactory grains) => grains.GetGrain<IGroupRegistryGrain>(IGroupRegistryGrain.Key);

    [Fact]
    public async Task Registering_a_group_twice_lists_it_once()
    {
        var registry = Registry(fixture.Grains);
        var group = Unique("twice");

        await registry.Register(group);
        await registry.Register(group);

        Assert.Single(await registry.ListGroupIds(), id => id == group);
    }

    [Fact]
    public async Task Unregistered_group_is_no_longer_listed_and_unregistering_again_is_harmless()
    {
        var registry = Registry(fixture.Grains);
        var kept = Unique("kept");
        var removed = Unique("removed");
        await registry.Register(kept);
        await registry.Register(removed);

        await registry.Unregister(removed);
        await registry.Unregister(removed);
        await registry.Unregister(Unique("never-registered"));

        var listed = await registry.ListGroupIds();
        Assert.Contains(kept, listed);
        Assert.DoesNotContain(removed, listed);
    }

    [Fact]
    public async Task Ids_are_case_sensitive_and_the_empty_id_is_a_group_like_any_other()
    {
        var registry = Registry(fixture.Grains);
        var lower = Unique("case");
        var upper = lower.ToUpperInvariant();

        await registry.Register(lower);
        await registry.Register(upper);
        await registry.Register(string.Empty);

        var listed = await registry.ListGroupIds();
        Assert.Contains(lower, listed);
        Assert.Contains(upper, listed);
        Assert.Contains(string.Empty, listed);
        await registry.Unregister(string.Empty);
    }

    [Fact]
    public async Task Many_groups_spread_over_buckets_and_all_are_listed_in_order()
    {
        var registry = Registry(fixture.Grains);
        var prefix = Unique("many");
        var groups = Enumerable.Range(0, 100).Select(i => $"{prefix}-{i:D3}").ToList();

        await Task.WhenAll(groups.Select(registry.Register));

        var listed = (await registry.ListGroupIds()).Where(id => id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.Equal(groups, listed);
        Assert.True(groups.Select(GroupRegistryGrain.Bucket).Distinct().Count() > 8, "100 ids should land in most of the 16 buckets");
    }

    [Fact]
    public async Task Registered_groups_survive_a_cluster_restart()
    {
        var store = new SharedGrainStore();
        await using (var cluster = await TopicClusters.StartAsync(1, store))
        {
            var registry = Registry(cluster.Client);
            await registry.Register("alpha");
            await registry.Register("beta");
            await registry.Register("gamma");
            await registry.Unregister("beta");
        }

        await using (var restarted = await TopicClusters.StartAsync(1, store))
        {
            Assert.Equal(["alpha", "gamma"], await Registry(restarted.Client).ListGroupIds());
        }
    }

    [Fact]
    public async Task A_failed_write_leaves_the_group_unlisted_and_a_retry_registers_it()
    {
        var store = new SharedGrainStore();
        await using var cluster = await TopicClusters.StartAsync(1, store);
        var registry = Registry(cluster.Client);
        await registry.Register("before");
        store.FailWrites = key => key.StartsWith("groupRegistry-", StringComparison.Ordinal);

        await Assert.ThrowsAnyAsync<OrleansException>(() => registry.Register("during"));
        Assert.Equal(["before"], await registry.ListGroupIds());
        await Assert.ThrowsAnyAsync<OrleansException>(() => registry.Unregister("before"));
        Assert.Equal(["before"], await registry.ListGroupIds());

        store.FailWrites = null;
        await registry.Register("during");
        Assert.Equal(["before", "during"], await registry.ListGroupIds());
    }
}
