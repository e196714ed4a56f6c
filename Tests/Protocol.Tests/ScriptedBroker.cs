using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>
/// A one-partition, one-member "broker" on 127.0.0.1 (port 0) that answers a real client with
/// responses built from the generated messages. Every request is decoded and re-encoded: a
/// difference from the client's own bytes is recorded in <see cref="Failures"/>, as is any
/// embedded consumer-protocol payload that does not round-trip.
/// </summary>
internal sealed class ScriptedBroker : IAsyncDisposable
{
    public const long AssignedOffset = 42;
    public const string Topic = "orders";
    public const string MemberId = "member-1";
    public const long ProducerId = 4000;
    public static readonly Guid TopicId = Guid.Parse("0123abcd-4567-89ef-0011-223344556677");

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop;
    private readonly Task _serving;
    private byte[]? _producedBatch;

    private ScriptedBroker(TimeSpan deadline)
    {
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _stop = new CancellationTokenSource(deadline);
        _serving = AcceptAsync(_stop.Token);
    }

    public int Port { get; }

    public string BootstrapServers => $"127.0.0.1:{Port}";

    public ConcurrentQueue<DecodedRequest> Requests { get; } = new();

    public ConcurrentQueue<string> Failures { get; } = new();

    /// <summary>Consumer-protocol payloads seen in JoinGroup and SyncGroup, decoded.</summary>
    public ConcurrentQueue<IKafkaMessage> ConsumerProtocolPayloads { get; } = new();

    public static ScriptedBroker Start(TimeSpan deadline) => new(deadline);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _serving;
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken cancellation)
    {
        var connections = new List<Task>();
        try
        {
            while (!cancellation.IsCancellationRequested)
            {
                var client = await _listener.AcceptTcpClientAsync(cancellation);
                connections.Add(ServeAsync(client, cancellation));
            }
        }
        catch (OperationCanceledException)
        {
            // The test is over.
        }
        catch (SocketException)
        {
            // The listener was stopped.
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client, CancellationToken cancellation)
    {
        using (client)
        {
            var stream = client.GetStream();
            var lengthBytes = new byte[4];
            try
            {
                while (true)
                {
                    await stream.ReadExactlyAsync(lengthBytes, cancellation);
                    var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(lengthBytes)];
                    await stream.ReadExactlyAsync(frame, cancellation);
                    var response = Handle(frame);
                    if (response is not null)
                    {
                        await stream.WriteAsync(response, cancellation);
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or IOException or EndOfStreamException)
            {
                // Client closed the connection or the test is over.
            }
        }
    }

    private byte[]? Handle(byte[] frame)
    {
        var apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
        var version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
        if (!ApiMessageTypes.TryGet(apiKey, out var api) || !api.IsSupported(version))
        {
            Failures.Enqueue($"unexpected request {apiKey} v{version}");
            return null;
        }

        var reader = new KafkaReader(frame);
        var header = new RequestHeader();
        header.Read(ref reader, api.RequestHeaderVersion(version));
        var body = api.CreateRequest();
        body.Read(ref reader, version);

        // librdkafka's all-topics Metadata request at v9+ leaves the 4-byte int32 placeholder it
        // reserved for the topic count where a 1-byte compact null belongs. Kafka reads the
        // placeholder's zeros as the following fields and ignores the 3 trailing bytes, and so
        // must we. Every other request must be consumed exactly.
        var expectedTrailing = body is MetadataRequest { Topics: null } && version >= MetadataRequest.FirstFlexibleVersion ? 3 : 0;
        if (reader.Remaining != expectedTrailing)
        {
            Failures.Enqueue($"{api.Name} v{version}: {reader.Remaining} bytes left unread in {Convert.ToHexString(frame)}");
        }

        var reencoded = MessageBytes.Concat(MessageBytes.Write(header, api.RequestHeaderVersion(version)), MessageBytes.Write(body, version));
        if (!reencoded.AsSpan().SequenceEqual(frame.AsSpan(0, reader.Position)))
        {
            Failures.Enqueue($"{api.Name} v{version}: re-encoding differs from the client's bytes");
        }

        Requests.Enqueue(new DecodedRequest(header, body));
        var response = Answer(body, version);
        if (response is null)
        {
            Failures.Enqueue($"no scripted answer for {api.Name} v{version}");
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        writer.WriteInt32(0); // size, patched below
        new ResponseHeader { CorrelationId = header.CorrelationId }.Write(writer, api.ResponseHeaderVersion(version));
        response.Write(writer, version);
        var bytes = buffer.WrittenSpan.ToArray();
        BinaryPrimitives.WriteInt32BigEndian(bytes, bytes.Length - 4);
        return bytes;
    }

    private IResponse? Answer(IRequest request, short version) => request switch
    {
        ApiVersionsRequest => ApiVersions(),
        MetadataRequest => Metadata(),
        ProduceRequest produce => Produce(produce),
        FetchRequest fetch => Fetch(fetch),
        ListOffsetsRequest listOffsets => ListOffsets(listOffsets),
        FindCoordinatorRequest find => FindCoordinator(find, version),
        JoinGroupRequest join => JoinGroup(join),
        SyncGroupRequest sync => SyncGroup(sync),
        HeartbeatRequest => new HeartbeatResponse(),
        InitProducerIdRequest => new InitProducerIdResponse { ProducerId = ProducerId, ProducerEpoch = 0 },
        SaslHandshakeRequest => new SaslHandshakeResponse { Mechanisms = ["PLAIN"] },
        SaslAuthenticateRequest => new SaslAuthenticateResponse { ErrorMessage = null },
        CreateTopicsRequest create => new CreateTopicsResponse
        {
            Topics =
            [
                .. create.Topics.Select(t => new CreateTopicsResponse.CreatableTopicResult
                {
                    Name = t.Name,
                    TopicId = version >= 7 ? Guid.NewGuid() : Guid.Empty,
                    NumPartitions = t.NumPartitions,
                    ReplicationFactor = t.ReplicationFactor,
                    Configs = [],
                }),
            ],
        },
        DeleteTopicsRequest delete => new DeleteTopicsResponse
        {
            Responses =
            [
                .. delete.TopicNames.Select(name => new DeleteTopicsResponse.DeletableTopicResult { Name = name }),
                .. delete.Topics.Select(t => new DeleteTopicsResponse.DeletableTopicResult { Name = t.Name, TopicId = t.TopicId }),
            ],
        },
        DescribeConfigsRequest describe => new DescribeConfigsResponse
        {
            Results =
            [
                .. describe.Resources.Select(r => new DescribeConfigsResponse.DescribeConfigsResult
                {
                    ResourceType = r.ResourceType,
                    ResourceName = r.ResourceName,
                    Configs =
                    [
                        new()
                        {
                            Name = "retention.ms",
                            Value = "604800000",
                            IsDefault = version == 0,
                            ConfigSource = version >= 1 ? (sbyte)5 : (sbyte)-1, // DEFAULT_CONFIG
                            ConfigType = version >= 3 ? (sbyte)5 : (sbyte)0, // LONG
                            Documentation = version >= 3 ? "How long to keep a log." : "",
                        },
                    ],
                }),
            ],
        },
        OffsetFetchRequest offsetFetch => OffsetFetch(offsetFetch),
        LeaveGroupRequest leave => new LeaveGroupResponse
        {
            Members = [.. leave.Members.Select(m => new LeaveGroupResponse.MemberResponse { MemberId = m.MemberId, GroupInstanceId = m.GroupInstanceId })],
        },
        _ => null,
    };

    private static ApiVersionsResponse ApiVersions() => new()
    {
        ApiKeys =
        [
            Advertise(ApiKey.Produce, 11),
            // librdkafka enables message format v2 only when Fetch v4+ is advertised too.
            Advertise(ApiKey.Fetch, 17),
            Advertise(ApiKey.ListOffsets, 10),
            Advertise(ApiKey.Metadata, 12),
            Advertise(ApiKey.OffsetFetch, 9),
            Advertise(ApiKey.FindCoordinator, 6),
            Advertise(ApiKey.JoinGroup, 9),
            Advertise(ApiKey.Heartbeat, 4),
            Advertise(ApiKey.LeaveGroup, 5),
            Advertise(ApiKey.SyncGroup, 5),
            Advertise(ApiKey.ApiVersions, 4),
            Advertise(ApiKey.InitProducerId, 5),
            Advertise(ApiKey.SaslHandshake, 1),
            Advertise(ApiKey.SaslAuthenticate, 2),
            Advertise(ApiKey.CreateTopics, 7),
            Advertise(ApiKey.DeleteTopics, 6),
            Advertise(ApiKey.DescribeConfigs, 4),
        ],
    };

    private static ApiVersionsResponse.ApiVersion Advertise(ApiKey key, short max) =>
        new() { ApiKey = (short)key, MinVersion = 0, MaxVersion = max };

    private MetadataResponse Metadata() => new()
    {
        Brokers = [new() { NodeId = 1, Host = "127.0.0.1", Port = Port }],
        ClusterId = "interop-cluster",
        ControllerId = 1,
        Topics =
        [
            new()
            {
                Name = Topic,
                TopicId = TopicId,
                Partitions = [new() { PartitionIndex = 0, LeaderId = 1, LeaderEpoch = 0, ReplicaNodes = [1], IsrNodes = [1] }],
            },
        ],
    };

    private ProduceResponse Produce(ProduceRequest request)
    {
        // Copy: the frame buffer belongs to the connection loop.
        Volatile.Write(ref _producedBatch, request.TopicData[0].PartitionData[0].Records?.ToArray());
        return new()
        {
            Responses =
            [
                .. request.TopicData.Select(topic => new ProduceResponse.TopicProduceResponse
                {
                    Name = topic.Name,
                    PartitionResponses = [.. topic.PartitionData.Select(p => new ProduceResponse.PartitionProduceResponse { Index = p.Index, BaseOffset = AssignedOffset })],
                }),
            ],
        };
    }

    /// <summary>Serves the produced batch (its base offset is 0) at offset 0, nothing after it.</summary>
    private FetchResponse Fetch(FetchRequest request)
    {
        var batch = Volatile.Read(ref _producedBatch);
        return new()
        {
            Responses =
            [
                .. request.Topics.Select(topic => new FetchResponse.FetchableTopicResponse
                {
                    // Echoing the request keeps name vs id right for the version (v13+ uses ids).
                    Topic = topic.Topic,
                    TopicId = topic.TopicId,
                    Partitions =
                    [
                        .. topic.Partitions.Select(p => new FetchResponse.PartitionData
                        {
                            PartitionIndex = p.Partition,
                            HighWatermark = 1,
                            LastStableOffset = 1,
                            LogStartOffset = 0,
                            Records = p.FetchOffset == 0 && batch is not null ? batch : ReadOnlyMemory<byte>.Empty,
                        }),
                    ],
                }),
            ],
        };
    }

    private static ListOffsetsResponse ListOffsets(ListOffsetsRequest request) => new()
    {
        Topics =
        [
            .. request.Topics.Select(topic => new ListOffsetsResponse.ListOffsetsTopicResponse
            {
                Name = topic.Name,
                Partitions =
                [
                    // -1 asks for the latest offset (1), anything else here for the earliest (0).
                    .. topic.Partitions.Select(p => new ListOffsetsResponse.ListOffsetsPartitionResponse
                    {
                        PartitionIndex = p.PartitionIndex,
                        Offset = p.Timestamp == -1 ? 1 : 0,
                        LeaderEpoch = 0,
                    }),
                ],
            }),
        ],
    };

    private FindCoordinatorResponse FindCoordinator(FindCoordinatorRequest request, short version) =>
        version >= 4
            ? new()
            {
                Coordinators = [.. request.CoordinatorKeys.Select(key => new FindCoordinatorResponse.Coordinator { Key = key, NodeId = 1, Host = "127.0.0.1", Port = Port })],
            }
            : new() { NodeId = 1, Host = "127.0.0.1", Port = Port };

    /// <summary>Makes the only member the leader and hands its own subscription back for assignment.</summary>
    private JoinGroupResponse JoinGroup(JoinGroupRequest request)
    {
        var protocol = request.Protocols[0];
        var subscription = RoundTripConsumerProtocol<ConsumerProtocolSubscription>(protocol.Metadata, "subscription");
        return new()
        {
            GenerationId = 1,
            ProtocolType = request.ProtocolType,
            ProtocolName = protocol.Name,
            Leader = MemberId,
            MemberId = MemberId,
            Members = [new() { MemberId = MemberId, Metadata = subscription }],
        };
    }

    /// <summary>Returns the leader's assignment for itself, re-encoded by our ConsumerProtocolAssignment.</summary>
    private SyncGroupResponse SyncGroup(SyncGroupRequest request)
    {
        var mine = request.Assignments.FirstOrDefault(a => a.MemberId == MemberId);
        return new()
        {
            ProtocolType = request.ProtocolType,
            ProtocolName = request.ProtocolName,
            Assignment = mine is null ? [] : RoundTripConsumerProtocol<ConsumerProtocolAssignment>(mine.Assignment, "assignment"),
        };
    }

    private static OffsetFetchResponse OffsetFetch(OffsetFetchRequest request)
    {
        // No committed offsets: -1 everywhere, in the per-group (v8+) or single-group shape.
        static OffsetFetchResponse.OffsetFetchResponsePartitions NoOffset(int partition) =>
            new() { PartitionIndex = partition, CommittedOffset = -1, Metadata = "" };
        return new()
        {
            Topics =
            [
                .. (request.Topics ?? []).Select(topic => new OffsetFetchResponse.OffsetFetchResponseTopic
                {
                    Name = topic.Name,
                    Partitions = [.. topic.PartitionIndexes.Select(p => new OffsetFetchResponse.OffsetFetchResponsePartition { PartitionIndex = p, CommittedOffset = -1 })],
                }),
            ],
            Groups =
            [
                .. request.Groups.Select(group => new OffsetFetchResponse.OffsetFetchResponseGroup
                {
                    GroupId = group.GroupId,
                    Topics =
                    [
                        .. (group.Topics ?? []).Select(topic => new OffsetFetchResponse.OffsetFetchResponseTopics
                        {
                            Name = topic.Name,
                            Partitions = [.. topic.PartitionIndexes.Select(NoOffset)],
                        }),
                    ],
                }),
            ],
        };
    }

    /// <summary>
    /// Decodes a consumer-protocol payload (int16 version, then the struct), checks our encoding
    /// reproduces the client's bytes, and returns our encoding.
    /// </summary>
    private byte[] RoundTripConsumerProtocol<T>(byte[] payload, string what)
        where T : IKafkaMessage, new()
    {
        var reader = new KafkaReader(payload);
        var version = reader.ReadInt16();
        var message = new T();
        message.Read(ref reader, version);
        ConsumerProtocolPayloads.Enqueue(message);

        var buffer = new ArrayBufferWriter<byte>();
        var writer = new KafkaWriter(buffer);
        writer.WriteInt16(version);
        message.Write(writer, version);
        if (!buffer.WrittenSpan.SequenceEqual(payload.AsSpan(0, reader.Position)) || reader.Remaining != 0)
        {
            Failures.Enqueue($"{what} v{version}: re-encoding differs from {Convert.ToHexString(payload)}");
        }

        return buffer.WrittenSpan.ToArray();
    }
}

internal sealed record DecodedRequest(RequestHeader Header, IRequest Body);
