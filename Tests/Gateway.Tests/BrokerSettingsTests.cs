using Microsoft.AspNetCore.Builder;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>Broker settings (the "Kafka" configuration section) change what the gateway does, as Kafka's do.</summary>
[Collection(GatewayCollection.Name)]
public sealed class BrokerSettingsTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Metadata_does_not_auto_create_when_auto_create_topics_enable_is_false()
    {
        await using var app = await StartAsync(("Kafka:auto.create.topics.enable", "false"));
        await using var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(app));

        // v1 has no allow_auto_topic_creation field: only the broker setting decides.
        await client.SendAsync(new MetadataRequest { Topics = [new() { Name = "settings-no-auto" }] }, 1, correlationId: 1);
        var (_, response) = await client.ReceiveAsync<MetadataResponse>(1, 0);

        Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, Assert.Single(response.Topics).ErrorCode);
    }

    [Fact]
    public async Task Metadata_auto_creates_with_num_partitions()
    {
        await using var app = await StartAsync(("Kafka:num.partitions", "4"));
        await using var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(app));

        await client.SendAsync(new MetadataRequest { Topics = [new() { Name = "settings-four" }] }, 3, correlationId: 1);
        var (_, response) = await client.ReceiveAsync<MetadataResponse>(3, 0);

        Assert.Equal(4, Assert.Single(response.Topics).Partitions.Count);
    }

    [Fact]
    public async Task DeleteTopics_reports_TOPIC_DELETION_DISABLED_when_delete_topic_enable_is_false()
    {
        await using var app = await StartAsync(("Kafka:delete.topic.enable", "false"));
        await using var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(app));
        await client.SendAsync(new MetadataRequest { Topics = [new() { Name = "settings-keep" }] }, 1, correlationId: 1);
        await client.ReceiveAsync<MetadataResponse>(1, 0);

        await client.SendAsync(new DeleteTopicsRequest { TopicNames = ["settings-keep"], TimeoutMs = 5000 }, 5, correlationId: 2);
        var (_, response) = await client.ReceiveAsync<DeleteTopicsResponse>(5, 1);

        Assert.Equal((short)KafkaErrorCode.TopicDeletionDisabled, Assert.Single(response.Responses).ErrorCode);
    }

    [Fact]
    public async Task A_real_frame_over_a_configured_socket_request_max_bytes_closes_the_connection()
    {
        await using var app = await StartAsync(("Kafka:socket.request.max.bytes", "200"));
        var port = GatewayFixture.BoundPort(app);
        await using var client = await KafkaWireClient.ConnectAsync(port);

        var topics = Enumerable.Range(0, 20).Select(i => new MetadataRequest.MetadataRequestTopic { Name = $"settings-long-name-{i}" }).ToList();
        var frame = KafkaWireClient.Frame(new MetadataRequest { Topics = topics }, 1, correlationId: 1);
        Assert.True(frame.Length > 204);
        await client.SendRawAsync(frame);

        Assert.True(await client.WaitForCloseAsync());
        await using var small = await KafkaWireClient.ConnectAsync(port);
        await small.SendAsync(new ApiVersionsRequest(), 0, correlationId: 2);
        Assert.Equal(2, (await small.ReceiveAsync<ApiVersionsResponse>(0, 0)).CorrelationId);
    }

    [Fact]
    public async Task Advertised_host_and_port_replace_the_bound_address_in_Metadata()
    {
        await using var app = await StartAsync(("Kafka:advertised.host", "broker.example"), ("Kafka:advertised.port", "19092"));
        await using var client = await KafkaWireClient.ConnectAsync(GatewayFixture.BoundPort(app));

        await client.SendAsync(new MetadataRequest { Topics = [] }, 12, correlationId: 1);
        var broker = Assert.Single((await client.ReceiveAsync<MetadataResponse>(12, 1)).Response.Brokers);

        Assert.Equal("broker.example", broker.Host);
        Assert.Equal(19092, broker.Port);
    }

    [Fact]
    public async Task Invalid_broker_settings_fail_the_start_with_the_Kafka_key_named()
    {
        var error = await Assert.ThrowsAnyAsync<Exception>(() => StartAsync(("Kafka:num.partitions", "0")));

        Assert.Contains("num.partitions", error.Message, StringComparison.Ordinal);
    }

    private Task<WebApplication> StartAsync(params (string Key, string Value)[] settings) =>
        GatewayFixture.StartGatewayAsync(fixture.Cluster.Client, settings.ToDictionary(s => s.Key, s => (string?)s.Value));
}
