using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>
/// A real client (librdkafka via Confluent.Kafka) against a scripted socket on 127.0.0.1: its
/// ApiVersions and Metadata requests decode and re-encode to the same bytes, and it accepts our
/// ApiVersions and Metadata responses (GetMetadata returns what we encoded).
/// </summary>
public sealed class LibrdkafkaInteropTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Librdkafka_requests_decode_and_our_responses_satisfy_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(Deadline);
        var server = new ScriptedBroker(port);
        var serving = server.AcceptAsync(listener, stop.Token);

        try
        {
            var config = new AdminClientConfig
            {
                BootstrapServers = $"127.0.0.1:{port}",
                BrokerAddressFamily = BrokerAddressFamily.V4,
                SocketTimeoutMs = 10_000,
            };
            using var admin = new AdminClientBuilder(config).SetLogHandler((_, _) => { }).Build();
            var metadata = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(10))).WaitAsync(Deadline);

            var topic = Assert.Single(metadata.Topics);
            Assert.Equal("orders", topic.Topic);
            var partition = Assert.Single(topic.Partitions);
            Assert.Equal(1, partition.Leader);
            var broker = Assert.Single(metadata.Brokers);
            Assert.Equal((1, "127.0.0.1", port), (broker.BrokerId, broker.Host, broker.Port));
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await serving;
        }

        Assert.True(server.Failures.IsEmpty, string.Join("; ", server.Failures));
        var apiVersions = server.Requests.First(r => r.Header.RequestApiKey == (short)ApiKey.ApiVersions);
        var request = Assert.IsType<ApiVersionsRequest>(apiVersions.Body);
        Assert.False(string.IsNullOrEmpty(request.ClientSoftwareName));
        Assert.Contains(server.Requests, r => r.Header.RequestApiKey == (short)ApiKey.Metadata);
    }

    [Fact]
    public async Task Librdkafka_produce_request_decodes_and_our_produce_response_acknowledges_it()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(Deadline);
        var server = new ScriptedBroker(port);
        var serving = server.AcceptAsync(listener, stop.Token);

        try
        {
            var config = new ProducerConfig
            {
                BootstrapServers = $"127.0.0.1:{port}",
                BrokerAddressFamily = BrokerAddressFamily.V4,
                EnableIdempotence = false,
                Acks = Acks.All,
                LingerMs = 0,
                MessageTimeoutMs = 15_000,
            };
            using var producer = new ProducerBuilder<Null, string>(config).SetLogHandler((_, _) => { }).Build();
            var delivery = await producer.ProduceAsync("orders", new Message<Null, string> { Value = "hello" }).WaitAsync(Deadline);

            Assert.Equal(PersistenceStatus.Persisted, delivery.Status);
            Assert.Equal(0, delivery.Partition.Value);
            Assert.Equal(ScriptedBroker.AssignedOffset, delivery.Offset.Value);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await serving;
        }

        Assert.True(server.Failures.IsEmpty, string.Join("; ", server.Failures));
        var produceRequest = server.Requests.Single(r => r.Header.RequestApiKey == (short)ApiKey.Produce);
        Assert.True(produceRequest.Header.RequestApiVersion >= 9, $"Produce v{produceRequest.Header.RequestApiVersion}");
        var produce = Assert.IsType<ProduceRequest>(produceRequest.Body);
        Assert.Equal(-1, produce.Acks);
        var topic = Assert.Single(produce.TopicData);
        Assert.Equal("orders", topic.Name);
        var partition = Assert.Single(topic.PartitionData);
        var batch = partition.Records!.Value.Span;
        Assert.Equal(2, batch[16]); // record batch magic byte: v2
    }

    [Fact]
    public async Task Librdkafka_consumer_reads_the_batch_it_produced_from_our_fetch_response()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(Deadline);
        var server = new ScriptedBroker(port);
        var serving = server.AcceptAsync(listener, stop.Token);

        try
        {
            var producerConfig = new ProducerConfig
            {
                BootstrapServers = $"127.0.0.1:{port}",
                BrokerAddressFamily = BrokerAddressFamily.V4,
                EnableIdempotence = false,
                LingerMs = 0,
            };
            using (var producer = new ProducerBuilder<string, string>(producerConfig).SetLogHandler((_, _) => { }).Build())
            {
                // The scripted broker keeps the batch librdkafka produced and serves it at offset 0.
                await producer.ProduceAsync("orders", new Message<string, string> { Key = "k", Value = "hello" }).WaitAsync(Deadline);
            }

            var consumerConfig = new ConsumerConfig
            {
                BootstrapServers = $"127.0.0.1:{port}",
                BrokerAddressFamily = BrokerAddressFamily.V4,
                GroupId = "interop",
                EnableAutoCommit = false,
            };
            using var consumer = new ConsumerBuilder<string, string>(consumerConfig).SetLogHandler((_, _) => { }).Build();
            consumer.Assign(new TopicPartitionOffset("orders", 0, 0));
            var result = await Task.Run(() => consumer.Consume(stop.Token)).WaitAsync(Deadline);
            consumer.Close();

            Assert.Equal(("k", "hello"), (result.Message.Key, result.Message.Value));
            Assert.Equal(0, result.Offset.Value);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await serving;
        }

        Assert.True(server.Failures.IsEmpty, string.Join("; ", server.Failures));
        var fetch = server.Requests.First(r => r.Body is FetchRequest);
        output.WriteLine($"librdkafka {Library.VersionString} requests: " + string.Join(", ", server.Requests.Select(r => $"{(ApiKey)r.Header.RequestApiKey} v{r.Header.RequestApiVersion}").Distinct()));
        Assert.True(fetch.Header.RequestApiVersion >= 12, $"Fetch v{fetch.Header.RequestApiVersion}"); // flexible, tagged fields
    }

    private sealed record DecodedRequest(RequestHeader Header, IRequest Body);

    /// <summary>Answers ApiVersions and Metadata on every connection; checks that each request re-encodes to its own bytes.</summary>
    private sealed class ScriptedBroker(int port)
    {
        public const long AssignedOffset = 42;

        private byte[]? _producedBatch;

        public ConcurrentQueue<DecodedRequest> Requests { get; } = new();

        public ConcurrentQueue<string> Failures { get; } = new();

        public async Task AcceptAsync(TcpListener listener, CancellationToken cancellation)
        {
            var connections = new List<Task>();
            try
            {
                while (!cancellation.IsCancellationRequested)
                {
                    var client = await listener.AcceptTcpClientAsync(cancellation);
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
            var headerLength = reader.Position;
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
                Failures.Enqueue($"{api.Name} v{version}: re-encoding differs from librdkafka's bytes");
            }

            Requests.Enqueue(new DecodedRequest(header, body));
            IResponse? response = api.ApiKey switch
            {
                ApiKey.ApiVersions => ApiVersions(),
                ApiKey.Metadata => Metadata(),
                ApiKey.Produce => Produce((ProduceRequest)body),
                ApiKey.Fetch => Fetch((FetchRequest)body),
                _ => null,
            };
            if (response is null)
            {
                Failures.Enqueue($"no scripted answer for {api.Name} (header length {headerLength})");
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

        private static ApiVersionsResponse ApiVersions() => new()
        {
            ApiKeys =
            [
                new() { ApiKey = (short)ApiKey.Metadata, MinVersion = 0, MaxVersion = 12 },
                new() { ApiKey = (short)ApiKey.ApiVersions, MinVersion = 0, MaxVersion = 4 },
                new() { ApiKey = (short)ApiKey.Produce, MinVersion = 0, MaxVersion = 11 },
                // librdkafka enables message format v2 only when Fetch v4+ is advertised too.
                new() { ApiKey = (short)ApiKey.Fetch, MinVersion = 0, MaxVersion = 17 },
            ],
        };

        private ProduceResponse Produce(ProduceRequest request)
        {
            // Copy: the frame buffer belongs to the connection loop.
            Volatile.Write(ref _producedBatch, request.TopicData[0].PartitionData[0].Records?.ToArray());
            return ProduceAcknowledgement(request);
        }

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

        private static ProduceResponse ProduceAcknowledgement(ProduceRequest request) => new()
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

        private MetadataResponse Metadata() => new()
        {
            Brokers = [new() { NodeId = 1, Host = "127.0.0.1", Port = port }],
            ClusterId = "interop-cluster",
            ControllerId = 1,
            Topics =
            [
                new()
                {
                    Name = "orders",
                    TopicId = Guid.Parse("0123abcd-4567-89ef-0011-223344556677"),
                    Partitions = [new() { PartitionIndex = 0, LeaderId = 1, LeaderEpoch = 0, ReplicaNodes = [1], IsrNodes = [1] }],
                },
            ],
        };
    }
}
