using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>Produce, Fetch, ListOffsets, OffsetForLeaderEpoch and DeleteRecords on the raw wire.</summary>
[Collection(PartitionGatewayCollection.Name)]
public sealed class PartitionWireTests(PartitionGatewayFixture fixture)
{
    private static byte[] Batch(params string[] values)
    {
        var builder = new RecordBatchBuilder();
        foreach (var value in values)
        {
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "k"u8, System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    private static ProduceRequest Produce(string topic, short acks, params byte[][] batches) => new()
    {
        Acks = acks,
        TimeoutMs = 10000,
        TopicData = [new ProduceRequest.TopicProduceData
        {
            Name = topic,
            PartitionData = [.. batches.Select((b, i) => new ProduceRequest.PartitionProduceData { Index = i, Records = b })],
        }],
    };

    private static FetchRequest Fetch(TopicInfo topic, long offset, int maxWaitMs, int minBytes = 1, int sessionId = 0, int sessionEpoch = -1) => new()
    {
        MaxWaitMs = maxWaitMs,
        MinBytes = minBytes,
        MaxBytes = 1 << 20,
        SessionId = sessionId,
        SessionEpoch = sessionEpoch,
        Topics = [new FetchRequest.FetchTopic
        {
            Topic = topic.Name,
            TopicId = topic.TopicId,
            Partitions = [new FetchRequest.FetchPartition { Partition = 0, FetchOffset = offset, PartitionMaxBytes = 1 << 20 }],
        }],
    };

    private static async Task<TResponse> Roundtrip<TResponse>(KafkaWireClient client, Orleans.Kafka.Protocol.IRequest request, short version, int correlationId)
        where TResponse : IResponse, new()
    {
        ApiMessageTypes.TryGet((short)request.ApiKey, out var info);
        await client.SendAsync(request, version, correlationId);
        var (received, response) = await client.ReceiveAsync<TResponse>(version, info!.ResponseHeaderVersion(version));
        Assert.Equal(correlationId, received);
        return response;
    }

    [Theory]
    [InlineData(3)]
    [InlineData(9)]
    [InlineData(11)]
    public async Task Produce_with_acks_other_than_0_1_or_minus_1_is_INVALID_REQUIRED_ACKS(short version)
    {
        var topic = await fixture.CreateTopicAsync("acks2");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        var response = await Roundtrip<ProduceResponse>(client, Produce(topic.Name, 2, Batch("a")), version, 7);

        var partition = Assert.Single(Assert.Single(response.Responses).PartitionResponses);
        Assert.Equal((short)KafkaErrorCode.InvalidRequiredAcks, partition.ErrorCode);
        var offsets = await fixture.Grains.GetGrain<Orleans.Kafka.Partitions.IPartitionGrain>(Orleans.Kafka.Partitions.PartitionKey.Format(topic.Name, 0)).GetOffsets();
        Assert.Equal(0, offsets.LogEndOffset);
    }

    [Fact]
    public async Task Produce_with_acks_0_gets_no_response_but_stores_the_records_in_order()
    {
        var topic = await fixture.CreateTopicAsync("acks0");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        for (var i = 0; i < 20; i++)
        {
            await client.SendAsync(Produce(topic.Name, 0, Batch($"v{i}")), 9, i);
        }

        var partitionGrain = fixture.Grains.GetGrain<Orleans.Kafka.Partitions.IPartitionGrain>(Orleans.Kafka.Partitions.PartitionKey.Format(topic.Name, 0));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while ((await partitionGrain.GetOffsets()).LogEndOffset < 20 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        // The next answer on the connection belongs to the request after the acks=0 ones.
        var fetched = await Roundtrip<FetchResponse>(client, Fetch(topic, 0, 0), 12, 100);

        var partition = Assert.Single(Assert.Single(fetched.Responses).Partitions);
        Assert.Equal(20, partition.HighWatermark);
        var values = new List<string>();
        foreach (var header in RecordBatch.EnumerateHeaders(partition.Records!.Value.Span))
        {
            values.Add($"{header.BaseOffset}");
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{i}"), values);
    }

    [Fact]
    public async Task Produce_with_acks_0_that_fails_closes_the_connection_as_Kafka_does()
    {
        var topic = await fixture.CreateTopicAsync("acks0-fail");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        // Partition 1 does not exist: the only way to tell an acks=0 producer is to disconnect it.
        await client.SendAsync(Produce(topic.Name, 0, Batch("ok"), Batch("nowhere")), 9, 1);

        Assert.True(await client.WaitForCloseAsync(), "the gateway should close the connection after a failed acks=0 produce");
    }

    [Fact]
    public async Task Produce_of_several_batches_in_one_partition_or_a_wrong_magic_is_INVALID_RECORD_and_unknown_topics_are_reported()
    {
        var topic = await fixture.CreateTopicAsync("shape");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        var twoBatches = Batch("a").Concat(Batch("b")).ToArray();
        var oldMagic = Batch("a");
        oldMagic[16] = 1;

        var several = await Roundtrip<ProduceResponse>(client, Produce(topic.Name, 1, twoBatches), 9, 1);
        var magic = await Roundtrip<ProduceResponse>(client, Produce(topic.Name, 1, oldMagic), 9, 2);
        var unknown = await Roundtrip<ProduceResponse>(client, Produce("no-such-topic-" + Guid.NewGuid().ToString("N"), 1, Batch("a")), 9, 3);

        Assert.Equal((short)KafkaErrorCode.InvalidRecord, several.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.NotNull(several.Responses[0].PartitionResponses[0].ErrorMessage);
        Assert.Equal((short)KafkaErrorCode.InvalidRecord, magic.Responses[0].PartitionResponses[0].ErrorCode);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, unknown.Responses[0].PartitionResponses[0].ErrorCode);
    }

    [Fact]
    public async Task A_long_poll_fetch_returns_when_a_record_arrives_rather_than_at_max_wait()
    {
        var topic = await fixture.CreateTopicAsync("longpoll");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        // max_wait (60 s) exceeds the client's read deadline (20 s): an answer holding the record proves the append woke the poll.
        await client.SendAsync(Fetch(topic, 0, 60000), 12, 1);
        await using var producer = await KafkaWireClient.ConnectAsync(fixture.Port);
        var produced = await Roundtrip<ProduceResponse>(producer, Produce(topic.Name, 1, Batch("wake")), 9, 2);
        var (_, fetched) = await client.ReceiveAsync<FetchResponse>(12, 1);

        Assert.Equal(0, produced.Responses[0].PartitionResponses[0].ErrorCode);
        var partition = Assert.Single(Assert.Single(fetched.Responses).Partitions);
        Assert.Equal(1, partition.HighWatermark);
        Assert.True(partition.Records!.Value.Length > 0);
    }

    [Fact]
    public async Task Two_hundred_idle_long_polls_do_not_hold_threads()
    {
        var topic = await fixture.CreateTopicAsync("idle");
        var clients = new List<KafkaWireClient>();
        try
        {
            for (var c = 0; c < 4; c++)
            {
                clients.Add(await KafkaWireClient.ConnectAsync(fixture.Port));
            }

            var threadsBefore = ThreadPool.ThreadCount;
            for (var i = 0; i < 200; i++)
            {
                await clients[i % 4].SendAsync(Fetch(topic, 0, 15000), 12, i);
            }

            // Every poll is parked in the partition grain (the wait count is the condition awaited, with a deadline).
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            var offsets = fixture.Grains.GetGrain<Orleans.Kafka.Partitions.IPartitionGrain>(Orleans.Kafka.Partitions.PartitionKey.Format(topic.Name, 0));
            while (await offsets.GetWaiterCount() < 200 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }

            Assert.Equal(200, await offsets.GetWaiterCount());
            var threadsWhileWaiting = ThreadPool.ThreadCount;

            await using var producer = await KafkaWireClient.ConnectAsync(fixture.Port);
            await Roundtrip<ProduceResponse>(producer, Produce(topic.Name, 1, Batch("wake")), 9, 1000);
            var answered = 0;
            foreach (var client in clients)
            {
                for (var i = 0; i < 50; i++)
                {
                    var (_, response) = await client.ReceiveAsync<FetchResponse>(12, 1);
                    Assert.Equal(1, response.Responses[0].Partitions[0].HighWatermark);
                    answered++;
                }
            }

            Assert.Equal(200, answered);
            // A thread per parked poll would add 200 threads; other test classes running meanwhile may add a few.
            Assert.True(threadsWhileWaiting - threadsBefore < 100, $"thread pool grew from {threadsBefore} to {threadsWhileWaiting} threads");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task Fetch_sessions_are_declined_and_unknown_sessions_get_FETCH_SESSION_ID_NOT_FOUND()
    {
        var topic = await fixture.CreateTopicAsync("session");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        var create = await Roundtrip<FetchResponse>(client, Fetch(topic, 0, 0, sessionId: 0, sessionEpoch: 0), 12, 1);
        var incremental = await Roundtrip<FetchResponse>(client, Fetch(topic, 0, 0, sessionId: 1234, sessionEpoch: 1), 12, 2);

        Assert.Equal(0, create.ErrorCode);
        Assert.Equal(0, create.SessionId);
        Assert.Single(create.Responses);
        Assert.Equal((short)KafkaErrorCode.FetchSessionIdNotFound, incremental.ErrorCode);
        Assert.Empty(incremental.Responses);
    }

    [Fact]
    public async Task Fetch_by_topic_id_answers_UNKNOWN_TOPIC_ID_for_an_unknown_id()
    {
        var topic = await fixture.CreateTopicAsync("byid");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        var ghost = topic with { TopicId = Guid.NewGuid() };

        var response = await Roundtrip<FetchResponse>(client, Fetch(ghost, 0, 0), 13, 1);

        Assert.Equal(ghost.TopicId, response.Responses[0].TopicId);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicId, response.Responses[0].Partitions[0].ErrorCode);
    }

    [Fact]
    public async Task Fetch_max_bytes_returns_whole_batches_and_always_at_least_one()
    {
        var topic = await fixture.CreateTopicAsync("maxbytes");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        for (var i = 0; i < 5; i++)
        {
            await Roundtrip<ProduceResponse>(client, Produce(topic.Name, 1, Batch(new string('x', 1000))), 9, i);
        }

        var request = Fetch(topic, 0, 0);
        request.MaxBytes = 10; // smaller than one batch
        var tiny = await Roundtrip<FetchResponse>(client, request, 12, 10);
        request.MaxBytes = 2500; // two and a half batches
        var partial = await Roundtrip<FetchResponse>(client, request, 12, 11);

        Assert.Single(RecordBatchHeaders(tiny));
        Assert.Equal(2, RecordBatchHeaders(partial).Count);
    }

    private static List<RecordBatchHeader> RecordBatchHeaders(FetchResponse response)
    {
        var headers = new List<RecordBatchHeader>();
        foreach (var header in RecordBatch.EnumerateHeaders(response.Responses[0].Partitions[0].Records!.Value.Span))
        {
            headers.Add(header);
        }

        return headers;
    }

    [Fact]
    public async Task ListOffsets_OffsetForLeaderEpoch_and_DeleteRecords_answer_on_the_wire()
    {
        var topic = await fixture.CreateTopicAsync("offsets");
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);
        await Roundtrip<ProduceResponse>(client, Produce(topic.Name, 1, Batch("a", "b", "c")), 9, 1);

        var list = await Roundtrip<ListOffsetsResponse>(client, new ListOffsetsRequest
        {
            ReplicaId = -1,
            Topics = [new ListOffsetsRequest.ListOffsetsTopic
            {
                Name = topic.Name,
                Partitions = [new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 0, Timestamp = -1 }, new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = 3, Timestamp = -2 }],
            }],
        }, 7, 2);
        var epoch = await Roundtrip<OffsetForLeaderEpochResponse>(client, new OffsetForLeaderEpochRequest
        {
            Topics = [new OffsetForLeaderEpochRequest.OffsetForLeaderTopic
            {
                Topic = topic.Name,
                Partitions = [new OffsetForLeaderEpochRequest.OffsetForLeaderPartition { Partition = 0, CurrentLeaderEpoch = 0, LeaderEpoch = 0 }],
            }],
        }, 4, 3);
        var delete = await Roundtrip<DeleteRecordsResponse>(client, new DeleteRecordsRequest
        {
            TimeoutMs = 5000,
            Topics = [new DeleteRecordsRequest.DeleteRecordsTopic
            {
                Name = topic.Name,
                Partitions = [new DeleteRecordsRequest.DeleteRecordsPartition { PartitionIndex = 0, Offset = 2 }],
            }],
        }, 2, 4);

        Assert.Equal(3, list.Topics[0].Partitions[0].Offset);
        Assert.Equal(0, list.Topics[0].Partitions[0].LeaderEpoch);
        Assert.Equal((short)KafkaErrorCode.UnknownTopicOrPartition, list.Topics[0].Partitions[1].ErrorCode);
        Assert.Equal(3, epoch.Topics[0].Partitions[0].EndOffset);
        Assert.Equal(0, epoch.Topics[0].Partitions[0].LeaderEpoch);
        Assert.Equal(2, delete.Topics[0].Partitions[0].LowWatermark);
    }

    [Fact]
    public async Task One_produce_request_appends_to_every_partition_it_names()
    {
        var topic = await fixture.CreateTopicAsync("multi", partitions: 3);
        await using var client = await KafkaWireClient.ConnectAsync(fixture.Port);

        var first = await Roundtrip<ProduceResponse>(client, Produce(topic.Name, -1, Batch("a"), Batch("b", "c"), Batch("d")), 9, 1);
        var second = await Roundtrip<ProduceResponse>(client, Produce(topic.Name, -1, Batch("e"), Batch("f"), Batch("g")), 9, 2);

        Assert.Equal([0, 1, 2], first.Responses[0].PartitionResponses.Select(p => p.Index));
        Assert.All(first.Responses[0].PartitionResponses, p => Assert.Equal((0, 0L), (p.ErrorCode, p.BaseOffset)));
        Assert.Equal([1L, 2L, 1L], second.Responses[0].PartitionResponses.Select(p => p.BaseOffset));
    }
}
