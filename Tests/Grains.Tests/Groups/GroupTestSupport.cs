using Orleans.Kafka.Groups;
using Orleans.Kafka.Protocol;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>A single silo configured for fast group tests: no initial rebalance delay, short sessions allowed, at most 3 members.</summary>
public sealed class GroupClusterFixture : IAsyncLifetime
{
    public const int MaxSize = 3;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TopicClusters.StartAsync(1, configure: GroupTestSupport.FastGroups);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

internal static class GroupTestSupport
{
    public const int SessionMs = 10_000;

    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(15);

    public static void FastGroups(BrokerOptions options)
    {
        options.GroupInitialRebalanceDelayMs = 0;
        options.GroupMinSessionTimeoutMs = 500;
        options.GroupMaxSize = GroupClusterFixture.MaxSize;
    }

    public static string NewGroupId() => "group-" + Guid.NewGuid().ToString("N")[..8];

    public static IConsumerGroupGrain Group(this IGrainFactory grains, string groupId) => grains.GetGrain<IConsumerGroupGrain>(groupId);

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    public static JoinGroupCommand JoinCommand(
        string memberId = "", string? instanceId = null, string metadata = "m", int sessionMs = SessionMs, string protocolType = "consumer",
        string protocol = "range", bool requireKnownMemberId = false, bool skipAssignment = false) =>
        new(memberId, instanceId, "client", "/127.0.0.1", sessionMs, 10_000, protocolType, [new GroupProtocol(protocol, Bytes(metadata))],
            requireKnownMemberId, skipAssignment);

    public static async Task<JoinGroupResult> JoinOk(this IConsumerGroupGrain group, JoinGroupCommand command)
    {
        var result = await group.Join(command).WaitAsync(Deadline);
        Assert.Equal(KafkaErrorCode.None, result.Error);
        return result;
    }

    /// <summary>Join then sync as a lone member: the member leads generation n and assigns itself <paramref name="assignment"/>.</summary>
    public static async Task<JoinGroupResult> JoinAndSyncAlone(this IConsumerGroupGrain group, JoinGroupCommand command, string assignment = "a")
    {
        var joined = await group.JoinOk(command);
        Assert.Equal(joined.MemberId, joined.LeaderId);
        var synced = await group.Sync(new SyncGroupCommand(joined.GenerationId, joined.MemberId, command.GroupInstanceId, null, null,
            [new MemberAssignment(joined.MemberId, Bytes(assignment))])).WaitAsync(Deadline);
        Assert.Equal(KafkaErrorCode.None, synced.Error);
        return joined;
    }

    public static SyncGroupCommand SyncCommand(JoinGroupResult joined, params (string MemberId, string Assignment)[] assignments) =>
        new(joined.GenerationId, joined.MemberId, null, null, null, [.. assignments.Select(a => new MemberAssignment(a.MemberId, Bytes(a.Assignment)))]);

    public static async Task<string> StateOf(this IConsumerGroupGrain group) => (await group.Describe()).State;

    /// <summary>Polls until <paramref name="condition"/> holds or the deadline passes (then fails with <paramref name="what"/>).</summary>
    public static async Task WaitUntil(Func<Task<bool>> condition, string what, TimeSpan? deadline = null)
    {
        var until = DateTime.UtcNow + (deadline ?? Deadline);
        while (!await condition())
        {
            if (DateTime.UtcNow > until)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(50);
        }
    }
}
