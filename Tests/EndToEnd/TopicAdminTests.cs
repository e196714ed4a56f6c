using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Orleans.Kafka.EndToEnd;

// Inside the namespace so it wins over Orleans.ErrorCode, which our Orleans.* namespaces would otherwise see first.
using ErrorCode = Confluent.Kafka.ErrorCode;

/// <summary>The foundation as a new user meets it: an embedded broker, kcat and an admin client.</summary>
public sealed class TopicAdminTests
{
    private static IAdminClient Admin(string bootstrap) =>
        new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap, SocketTimeoutMs = 10000 }).Build();

    [Fact]
    public async Task Admin_client_creates_describes_and_deletes_topics()
    {
        using var dir = new TempDirectory();
        await using var broker = await InProcessBroker.StartAsync(dir.Path);
        using var admin = Admin(broker.BootstrapServers);

        await admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 4, ReplicationFactor = 1 }]);

        var metadata = admin.GetMetadata("orders", TimeSpan.FromSeconds(10));
        var topic = Assert.Single(metadata.Topics);
        Assert.Equal(ErrorCode.NoError, topic.Error.Code);
        Assert.Equal(4, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(metadata.OriginatingBrokerId, p.Leader));

        var duplicate = await Assert.ThrowsAsync<CreateTopicsException>(() =>
            admin.CreateTopicsAsync([new TopicSpecification { Name = "orders", NumPartitions = 1 }]));
        Assert.Equal(ErrorCode.TopicAlreadyExists, duplicate.Results[0].Error.Code);

        var configs = await admin.DescribeConfigsAsync([new ConfigResource { Type = ResourceType.Topic, Name = "orders" }]);
        Assert.Equal("delete", configs[0].Entries["cleanup.policy"].Value);

        await admin.DeleteTopicsAsync(["orders"]);
        var after = admin.GetMetadata(TimeSpan.FromSeconds(10));
        Assert.DoesNotContain(after.Topics, t => t.Topic == "orders");
    }

    [Fact]
    public async Task Topic_id_survives_a_restart_and_a_recreated_topic_gets_a_new_id()
    {
        using var dir = new TempDirectory();
        Uuid firstId;
        await using (var broker = await InProcessBroker.StartAsync(dir.Path))
        {
            using var admin = Admin(broker.BootstrapServers);
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "durable", NumPartitions = 2 }]);
            firstId = await TopicIdAsync(admin, "durable");
        }

        await using (var broker = await InProcessBroker.StartAsync(dir.Path))
        {
            using var admin = Admin(broker.BootstrapServers);
            Assert.Equal(firstId.ToString(), (await TopicIdAsync(admin, "durable")).ToString());

            await admin.DeleteTopicsAsync(["durable"]);
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "durable", NumPartitions = 2 }]);
            Assert.NotEqual(firstId.ToString(), (await TopicIdAsync(admin, "durable")).ToString());
        }
    }

    [Fact]
    public async Task Topics_survive_kill_minus_9_of_the_broker_process()
    {
        using var dir = new TempDirectory();
        Uuid id;
        await using (var broker = await BrokerProcess.StartAsync(dir.Path))
        {
            using var admin = Admin(broker.BootstrapServers);
            await admin.CreateTopicsAsync([new TopicSpecification { Name = "killed", NumPartitions = 3 }]);
            id = await TopicIdAsync(admin, "killed");
            await broker.KillAsync();
        }

        await using (var broker = await BrokerProcess.StartAsync(dir.Path))
        {
            using var admin = Admin(broker.BootstrapServers);
            var metadata = admin.GetMetadata("killed", TimeSpan.FromSeconds(10));
            Assert.Equal(3, Assert.Single(metadata.Topics).Partitions.Count);
            Assert.Equal(id.ToString(), (await TopicIdAsync(admin, "killed")).ToString());
        }
    }

    [Fact]
    public async Task Kcat_lists_the_broker_and_auto_creates_a_topic()
    {
        using var dir = new TempDirectory();
        await using var broker = await InProcessBroker.StartAsync(dir.Path);

        var listing = await RunKcatAsync("-L", "-b", broker.BootstrapServers, "-t", "auto-made", "-m", "10");

        Assert.Contains("1 brokers:", listing, StringComparison.Ordinal);
        Assert.Contains($"broker 1 at 127.0.0.1:{broker.Port}", listing, StringComparison.Ordinal);
        Assert.Contains("topic \"auto-made\" with 1 partitions", listing, StringComparison.Ordinal);
    }

    private static async Task<Uuid> TopicIdAsync(IAdminClient admin, string topic)
    {
        var described = await admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]));
        var description = Assert.Single(described.TopicDescriptions);
        Assert.Equal(ErrorCode.NoError, description.Error.Code);
        return description.TopicId;
    }

    private static async Task<string> RunKcatAsync(params string[] args)
    {
        var info = new ProcessStartInfo("kcat") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) info.ArgumentList.Add(arg);
        using var process = Process.Start(info)
            ?? throw new InvalidOperationException("kcat is not installed (Debian package kcat; scripts/test installs it)");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"kcat exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
