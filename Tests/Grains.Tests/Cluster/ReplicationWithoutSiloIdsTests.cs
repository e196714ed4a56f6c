using static Orleans.Kafka.Grains.Tests.TopicTestHelpers;

namespace Orleans.Kafka.Grains.Tests.Cluster;

/// <summary>Clusters whose silos carry no silo ids (plain test clusters) have no replicas to elect among.</summary>
public sealed class ReplicationWithoutSiloIdsTests(SingleSiloFixture fixture) : IClassFixture<SingleSiloFixture>
{
    [Fact]
    public async Task Reconciling_leaders_changes_nothing_without_silo_ids()
    {
        var created = await fixture.Grains.CreateOk(Spec(UniqueName("noids"), partitions: 2));

        await fixture.Grains.Registry().ReconcileLeaders();

        var after = (await fixture.Grains.Registry().GetTopic(created.Name))!;
        Assert.Equal(created.Partitions.Select(p => (p.Leader, p.LeaderEpoch)), after.Partitions.Select(p => (p.Leader, p.LeaderEpoch)));
        Assert.Equal(created.Partitions.Select(p => p.Isr.Count), after.Partitions.Select(p => p.Isr.Count));
    }
}
