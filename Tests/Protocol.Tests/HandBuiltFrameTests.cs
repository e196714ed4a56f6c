using System.Text;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>
/// Frames written out byte by byte from Kafka's protocol guide (not with our writer): decoding
/// yields every field, and writing the decoded objects reproduces the frame exactly.
/// </summary>
public sealed class HandBuiltFrameTests
{
    private static readonly Guid OrdersTopicId = new("0123abcd-4567-89ef-0011-223344556677");

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    [Fact]
    public void ApiVersionsRequest_v0_with_header_v1_decodes_and_re_encodes()
    {
        var frame = MessageBytes.Concat(
            [0x00, 0x12], // request_api_key 18
            [0x00, 0x00], // request_api_version 0
            [0x00, 0x00, 0x00, 0x07], // correlation_id 7
            [0x00, 0x07], Ascii("rdkafka")); // client_id (STRING)

        var (header, headerLength) = ReadHeader(frame, 1);
        Assert.Equal(18, header.RequestApiKey);
        Assert.Equal(0, header.RequestApiVersion);
        Assert.Equal(7, header.CorrelationId);
        Assert.Equal("rdkafka", header.ClientId);
        Assert.Equal(frame.Length, headerLength);

        var body = MessageBytes.Read<ApiVersionsRequest>(Array.Empty<byte>(), 0, out var consumed);
        Assert.Equal(0, consumed);
        Assert.Equal("", body.ClientSoftwareName);
        Assert.Equal(frame, MessageBytes.Concat(MessageBytes.Write(header, 1), MessageBytes.Write(body, 0)));
    }

    [Fact]
    public void ApiVersionsRequest_v3_with_header_v2_decodes_and_re_encodes()
    {
        var headerBytes = MessageBytes.Concat(
            [0x00, 0x12], // request_api_key 18
            [0x00, 0x03], // request_api_version 3
            [0x00, 0x00, 0x00, 0x2A], // correlation_id 42
            [0x00, 0x07], Ascii("rdkafka"), // client_id stays a classic STRING in header v2
            [0x00]); // header tagged fields: none
        var bodyBytes = MessageBytes.Concat(
            [0x0B], Ascii("librdkafka"), // client_software_name: COMPACT_STRING, length+1 = 11
            [0x06], Ascii("2.3.0"), // client_software_version: length+1 = 6
            [0x00]); // tagged fields: none
        var frame = MessageBytes.Concat(headerBytes, bodyBytes);

        Assert.True(ApiMessageTypes.TryGet(18, out var info));
        Assert.Equal(2, info.RequestHeaderVersion(3));
        var (header, headerLength) = ReadHeader(frame, 2);
        Assert.Equal(headerBytes.Length, headerLength);
        Assert.Equal(42, header.CorrelationId);
        Assert.Equal("rdkafka", header.ClientId);

        var body = MessageBytes.Read<ApiVersionsRequest>(frame.AsMemory(headerLength), 3, out var consumed);
        Assert.Equal(bodyBytes.Length, consumed);
        Assert.Equal("librdkafka", body.ClientSoftwareName);
        Assert.Equal("2.3.0", body.ClientSoftwareVersion);
        Assert.Null(body.UnknownTaggedFields);
        Assert.Equal(frame, MessageBytes.Concat(MessageBytes.Write(header, 2), MessageBytes.Write(body, 3)));
    }

    [Fact]
    public void ApiVersionsResponse_v3_uses_header_v0_and_decodes_a_tagged_field()
    {
        Assert.True(ApiMessageTypes.TryGet((short)ApiKey.ApiVersions, out var info));
        Assert.Equal(0, info.ResponseHeaderVersion(3));
        Assert.Equal(0, info.ResponseHeaderVersion(4));
        Assert.True(info.IsFlexible(3));

        var headerBytes = new byte[] { 0x00, 0x00, 0x00, 0x2A }; // correlation_id 42, no tagged fields in v0
        var bodyBytes = MessageBytes.Concat(
            [0x00, 0x00], // error_code 0
            [0x02], // api_keys: COMPACT_ARRAY, 1 element
            [0x00, 0x12, 0x00, 0x00, 0x00, 0x04, 0x00], // ApiVersions 0-4, element tagged fields: none
            [0x00, 0x00, 0x00, 0x00], // throttle_time_ms 0
            [0x01], // one tagged field
            [0x01, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05]); // tag 1 (FinalizedFeaturesEpoch), size 8, value 5

        var header = MessageBytes.Read<ResponseHeader>(headerBytes, 0, out var headerLength);
        Assert.Equal(4, headerLength);
        Assert.Equal(42, header.CorrelationId);

        var body = MessageBytes.Read<ApiVersionsResponse>(bodyBytes, 3, out var consumed);
        Assert.Equal(bodyBytes.Length, consumed);
        Assert.Equal(0, body.ErrorCode);
        var api = Assert.Single(body.ApiKeys);
        Assert.Equal((18, 0, 4), (api.ApiKey, api.MinVersion, api.MaxVersion));
        Assert.Equal(5, body.FinalizedFeaturesEpoch);
        Assert.Empty(body.SupportedFeatures);
        Assert.Equal(bodyBytes, MessageBytes.Write(body, 3));
        Assert.Equal(headerBytes, MessageBytes.Write(header, 0));
    }

    [Fact]
    public void MetadataRequest_v1_decodes_and_re_encodes()
    {
        var body = MessageBytes.Concat(
            [0x00, 0x00, 0x00, 0x01], // topics: ARRAY of 1
            [0x00, 0x06], Ascii("orders")); // name

        var request = MessageBytes.Read<MetadataRequest>(body, 1, out var consumed);
        Assert.Equal(body.Length, consumed);
        var topic = Assert.Single(request.Topics!);
        Assert.Equal("orders", topic.Name);
        Assert.Equal(Guid.Empty, topic.TopicId);
        Assert.True(request.AllowAutoTopicCreation); // the spec's default for versions without the field
        Assert.Equal(body, MessageBytes.Write(request, 1));
    }

    [Fact]
    public void MetadataRequest_v1_null_topics_means_all_topics()
    {
        var request = MessageBytes.Read<MetadataRequest>(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF }, 1, out _);
        Assert.Null(request.Topics);
    }

    [Fact]
    public void MetadataRequest_v12_with_topic_id_and_name_decodes_and_re_encodes()
    {
        var body = MessageBytes.Concat(
            [0x02], // topics: COMPACT_ARRAY of 1
            [0x01, 0x23, 0xAB, 0xCD, 0x45, 0x67, 0x89, 0xEF, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77], // topic_id
            [0x07], Ascii("orders"), // name: COMPACT_NULLABLE_STRING
            [0x00], // topic tagged fields
            [0x00], // allow_auto_topic_creation false
            [0x01], // include_topic_authorized_operations true
            [0x00]); // tagged fields

        var request = MessageBytes.Read<MetadataRequest>(body, 12, out var consumed);
        Assert.Equal(body.Length, consumed);
        var topic = Assert.Single(request.Topics!);
        Assert.Equal(OrdersTopicId, topic.TopicId);
        Assert.Equal("0123abcd-4567-89ef-0011-223344556677", topic.TopicId.ToString());
        Assert.Equal("orders", topic.Name);
        Assert.False(request.AllowAutoTopicCreation);
        Assert.True(request.IncludeTopicAuthorizedOperations);
        Assert.False(request.IncludeClusterAuthorizedOperations);
        Assert.Equal(body, MessageBytes.Write(request, 12));
    }

    [Fact]
    public void ProduceRequest_v3_decodes_and_re_encodes()
    {
        byte[] records = [0xDE, 0xAD, 0xBE, 0xEF, 0x01];
        var body = MessageBytes.Concat(
            [0xFF, 0xFF], // transactional_id: NULLABLE_STRING null
            [0xFF, 0xFF], // acks -1
            [0x00, 0x00, 0x75, 0x30], // timeout_ms 30000
            [0x00, 0x00, 0x00, 0x01], // topic_data: ARRAY of 1
            [0x00, 0x06], Ascii("orders"),
            [0x00, 0x00, 0x00, 0x01], // partition_data: ARRAY of 1
            [0x00, 0x00, 0x00, 0x02], // index 2
            [0x00, 0x00, 0x00, 0x05], records); // records: int32 size, then the bytes

        var request = MessageBytes.Read<ProduceRequest>(body, 3, out var consumed);
        Assert.Equal(body.Length, consumed);
        AssertProduce(request, records);
        Assert.Equal(body, MessageBytes.Write(request, 3));
    }

    [Fact]
    public void ProduceRequest_v9_decodes_and_re_encodes()
    {
        byte[] records = [0xDE, 0xAD, 0xBE, 0xEF, 0x01];
        var body = MessageBytes.Concat(
            [0x00], // transactional_id: COMPACT_NULLABLE_STRING null
            [0xFF, 0xFF], // acks -1
            [0x00, 0x00, 0x75, 0x30], // timeout_ms 30000
            [0x02], // topic_data: COMPACT_ARRAY of 1
            [0x07], Ascii("orders"),
            [0x02], // partition_data: COMPACT_ARRAY of 1
            [0x00, 0x00, 0x00, 0x02], // index 2
            [0x06], records, // records: COMPACT_RECORDS, size+1
            [0x00], // partition tagged fields
            [0x00], // topic tagged fields
            [0x00]); // tagged fields

        var request = MessageBytes.Read<ProduceRequest>(body, 9, out var consumed);
        Assert.Equal(body.Length, consumed);
        AssertProduce(request, records);
        Assert.Equal(body, MessageBytes.Write(request, 9));
    }

    [Fact]
    public void Records_are_sliced_from_the_input_without_copying()
    {
        var body = MessageBytes.Concat([0x00], [0xFF, 0xFF], [0x00, 0x00, 0x75, 0x30], [0x02], [0x07], Ascii("orders"),
            [0x02], [0x00, 0x00, 0x00, 0x02], [0x03, 0xAA, 0xBB], [0x00], [0x00], [0x00]);
        var request = MessageBytes.Read<ProduceRequest>(body, 9, out _);
        var records = request.TopicData[0].PartitionData[0].Records!.Value;

        body[^5] = 0xCC; // the first record byte in the frame
        Assert.Equal(0xCC, records.Span[0]);
    }

    [Fact]
    public void Unknown_tagged_fields_survive_a_read_and_write()
    {
        var body = MessageBytes.Concat(
            [0x01], // topics: empty COMPACT_ARRAY
            [0x01], // allow_auto_topic_creation
            [0x00], // include_topic_authorized_operations
            [0x01], // one tagged field
            [0x07, 0x02, 0xAB, 0xCD]); // tag 7, size 2, two bytes

        var request = MessageBytes.Read<MetadataRequest>(body, 12, out _);
        var unknown = Assert.Single(request.UnknownTaggedFields!);
        Assert.Equal(7u, unknown.Tag);
        Assert.Equal([0xAB, 0xCD], unknown.Data);
        Assert.Equal(body, MessageBytes.Write(request, 12));
    }

    [Fact]
    public void Header_versions_follow_kafkas_rules()
    {
        Assert.True(ApiMessageTypes.TryGet((short)ApiKey.Metadata, out var metadata));
        Assert.Equal(1, metadata.RequestHeaderVersion(8));
        Assert.Equal(2, metadata.RequestHeaderVersion(9));
        Assert.Equal(0, metadata.ResponseHeaderVersion(8));
        Assert.Equal(1, metadata.ResponseHeaderVersion(9));

        Assert.True(ApiMessageTypes.TryGet((short)ApiKey.ControlledShutdown, out var shutdown));
        Assert.Equal(0, shutdown.RequestHeaderVersion(0));
        Assert.Equal(1, shutdown.RequestHeaderVersion(1));

        Assert.True(ApiMessageTypes.TryGet((short)ApiKey.SaslHandshake, out var handshake));
        Assert.Equal(short.MaxValue, handshake.FirstFlexibleVersion);
        Assert.False(ApiMessageTypes.TryGet(-1, out _));
        Assert.False(ApiMessageTypes.TryGet(1000, out _));
    }

    [Fact]
    public void Api_table_lists_every_key_once_with_matching_factories()
    {
        Assert.Equal(88, ApiMessageTypes.All.Count);
        Assert.Equal(ApiMessageTypes.All.Count, ApiMessageTypes.All.Select(a => a.ApiKey).Distinct().Count());
        foreach (var info in ApiMessageTypes.All)
        {
            Assert.True(ApiMessageTypes.TryGet((short)info.ApiKey, out var found));
            Assert.Same(info, found);
            var request = info.CreateRequest();
            var response = info.CreateResponse();
            Assert.Equal(info.ApiKey, request.ApiKey);
            Assert.Equal(info.ApiKey, response.ApiKey);
            Assert.Equal(info.Name + "Request", request.GetType().Name);
            Assert.Equal((info.LowestVersion, info.HighestVersion), (request.LowestSupportedVersion, request.HighestSupportedVersion));
        }
    }

    private static (RequestHeader Header, int Length) ReadHeader(byte[] frame, short headerVersion)
    {
        var header = MessageBytes.Read<RequestHeader>(frame, headerVersion, out var length);
        return (header, length);
    }

    private static void AssertProduce(ProduceRequest request, byte[] records)
    {
        Assert.Null(request.TransactionalId);
        Assert.Equal(-1, request.Acks);
        Assert.Equal(30000, request.TimeoutMs);
        var topic = Assert.Single(request.TopicData);
        Assert.Equal("orders", topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        Assert.Equal(2, partition.Index);
        Assert.NotNull(partition.Records);
        Assert.Equal(records, partition.Records.Value.ToArray());
    }
}
