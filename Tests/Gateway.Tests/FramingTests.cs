using System.Buffers.Binary;
using System.Text;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests;

/// <summary>Framing and connection-level rules, over real loopback sockets.</summary>
[Collection(GatewayCollection.Name)]
public sealed class FramingTests(GatewayFixture fixture)
{
    [Fact]
    public async Task Frame_larger_than_socket_request_max_bytes_closes_the_connection_and_others_keep_working()
    {
        await using var bystander = await KafkaWireClient.ConnectAsync(fixture.Port);
        await using var offender = await KafkaWireClient.ConnectAsync(fixture.Port);

        // Only the size prefix is needed: Kafka refuses the frame from its declared size, before reading it.
        var prefix = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(prefix, 104857600 + 1);
        await offender.SendRawAsync(prefix);

        Assert.True(await offender.WaitForCloseAsync());
        await AssertServesApiVersionsAsync(bystander);
        await using var newcomer = await KafkaWireClient.ConnectAsync(fixture.Port);
        await AssertServesApiVersionsAsync(newcomer);
    }

    [Fact]
    public async Task Negative_frame_size_closes_the_connection()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendRawAsync([0xFF, 0xFF, 0xFF, 0xF0]);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Unknown_api_key_closes_only_that_connection()
    {
        await using var bystander = await KafkaWireClient.ConnectAsync(fixture.Port);
        await using var offender = await KafkaWireClient.ConnectAsync(fixture.Port);

        await offender.SendRawAsync(HandBuiltFrame(apiKey: 9999, version: 0, correlationId: 1));

        Assert.True(await offender.WaitForCloseAsync());
        await AssertServesApiVersionsAsync(bystander);
    }

    [Fact]
    public async Task Api_the_gateway_does_not_serve_closes_the_connection()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendAsync(new DescribeDelegationTokenRequest(), 1, correlationId: 1);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Version_outside_the_served_range_closes_the_connection()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendRawAsync(HandBuiltFrame(apiKey: (short)ApiKey.Metadata, version: 99, correlationId: 1));
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Unsupported_ApiVersions_version_gets_UNSUPPORTED_VERSION_with_a_v0_body_and_the_connection_stays_open()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendRawAsync(HandBuiltFrame(apiKey: (short)ApiKey.ApiVersions, version: 99, correlationId: 77));

        var (correlationId, response) = await client.ReceiveAsync<ApiVersionsResponse>(version: 0, headerVersion: 0);

        Assert.Equal(77, correlationId);
        Assert.Equal((short)KafkaErrorCode.UnsupportedVersion, response.ErrorCode);
        var own = Assert.Single(response.ApiKeys);
        Assert.Equal((short)ApiKey.ApiVersions, own.ApiKey);
        Assert.Equal(0, own.MinVersion);
        Assert.Equal(4, own.MaxVersion);
        await AssertServesApiVersionsAsync(client);
    }

    [Fact]
    public async Task Malformed_body_closes_the_connection()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        // A Metadata v1 header followed by a topic array that claims 5 entries and holds none.
        var frame = HandBuiltFrame(apiKey: (short)ApiKey.Metadata, version: 1, correlationId: 3, body: [0, 0, 0, 5]);
        await client.SendRawAsync(frame);

        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Truncated_header_closes_the_connection()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await client.SendRawAsync([0, 0, 0, 3, 0, 18, 0]);
        Assert.True(await client.WaitForCloseAsync());
    }

    [Fact]
    public async Task Garbage_bytes_close_the_connection()
    {
        await using var http = await KafkaWireClient.ConnectAsync(fixture.Port);
        await http.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        Assert.True(await http.WaitForCloseAsync());

        // A well-sized frame full of noise: an unknown API key or an undecodable header either way.
        var noise = new byte[4 + 256];
        new Random(42).NextBytes(noise);
        BinaryPrimitives.WriteInt32BigEndian(noise, 256);
        BinaryPrimitives.WriteInt16BigEndian(noise.AsSpan(4), 31000);
        await using var random = await KafkaWireClient.ConnectAsync(fixture.Port);
        await random.SendRawAsync(noise);
        Assert.True(await random.WaitForCloseAsync());

        await using var bystander = await KafkaWireClient.ConnectAsync(fixture.Port);
        await AssertServesApiVersionsAsync(bystander);
    }

    [Fact]
    public async Task Requests_split_across_many_small_writes_are_reassembled()
    {
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        var frame = KafkaWireClient.Frame(new ApiVersionsRequest(), 0, correlationId: 5);
        foreach (var b in frame)
        {
            await client.SendRawAsync([b]);
        }

        var (correlationId, response) = await client.ReceiveAsync<ApiVersionsResponse>(0, 0);
        Assert.Equal(5, correlationId);
        Assert.Equal(0, response.ErrorCode);
    }

    private static async Task AssertServesApiVersionsAsync(KafkaWireClient client)
    {
        await client.SendAsync(new ApiVersionsRequest(), 0, correlationId: 1234);
        var (correlationId, response) = await client.ReceiveAsync<ApiVersionsResponse>(0, 0);
        Assert.Equal(1234, correlationId);
        Assert.Equal(0, response.ErrorCode);
    }

    /// <summary>A frame with a v1 request header (client id "t") and the given body bytes.</summary>
    private static byte[] HandBuiltFrame(short apiKey, short version, int correlationId, byte[]? body = null)
    {
        body ??= [];
        var frame = new byte[4 + 2 + 2 + 4 + 2 + 1 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(4), apiKey);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), version);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(8), correlationId);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(12), 1);
        frame[14] = (byte)'t';
        body.CopyTo(frame.AsSpan(15));
        return frame;
    }
}
