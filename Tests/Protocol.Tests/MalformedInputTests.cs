namespace Orleans.Kafka.Protocol.Tests;

/// <summary>Bad input and unrepresentable values fail with KafkaProtocolException, never another exception type.</summary>
public sealed class MalformedInputTests
{
    public static TheoryData<string, short> TruncationCases() => new()
    {
        { nameof(ProduceRequest), 3 },
        { nameof(ProduceRequest), 11 },
        { nameof(FetchResponse), 4 },
        { nameof(FetchResponse), 16 },
        { nameof(MetadataResponse), 12 },
        { nameof(ApiVersionsResponse), 3 },
        { nameof(ConsumerGroupHeartbeatResponse), 0 },
        { nameof(RequestHeader), 2 },
        { nameof(JoinGroupRequest), 9 },
    };

    [Theory]
    [MemberData(nameof(TruncationCases))]
    public void Every_truncated_prefix_of_a_valid_message_throws_protocol_exception(string messageName, short version)
    {
        var type = MessageFiller.MessageTypes.Single(t => t.Name == messageName);
        var bytes = MessageBytes.Write(new MessageFiller(nullWhereAllowed: false).Create(type, version), version);
        Assert.True(bytes.Length > 20);

        for (var length = 0; length < bytes.Length; length++)
        {
            var message = (IKafkaMessage)Activator.CreateInstance(type)!;
            var prefix = bytes.AsMemory(0, length);
            var exception = Record.Exception(() => MessageBytes.Read(message, prefix, version));
            Assert.True(exception is KafkaProtocolException, $"{messageName} v{version} prefix {length}/{bytes.Length}: {exception?.GetType().Name ?? "no exception"}");
        }
    }

    [Theory]
    [MemberData(nameof(RoundTripTests.MessageNames), MemberType = typeof(RoundTripTests))]
    public void Every_message_rejects_truncation_at_its_lowest_and_highest_version(string messageName)
    {
        var type = MessageFiller.MessageTypes.Single(t => t.Name == messageName);
        var (lowest, highest) = MessageFiller.Versions(type);
        foreach (var version in new[] { lowest, highest })
        {
            var bytes = MessageBytes.Write(new MessageFiller(nullWhereAllowed: false).Create(type, version), version);
            for (var length = 0; length < bytes.Length; length++)
            {
                var message = (IKafkaMessage)Activator.CreateInstance(type)!;
                var prefix = bytes.AsMemory(0, length);
                var exception = Record.Exception(() => MessageBytes.Read(message, prefix, version));
                Assert.True(exception is KafkaProtocolException, $"{messageName} v{version} prefix {length}/{bytes.Length}: {exception?.GetType().Name ?? "no exception"}");
            }
        }
    }

    [Theory]
    [InlineData(nameof(ProduceRequest), 9)]
    [InlineData(nameof(FetchRequest), 17)]
    [InlineData(nameof(FetchResponse), 16)]
    [InlineData(nameof(MetadataResponse), 12)]
    [InlineData(nameof(ApiVersionsResponse), 3)]
    [InlineData(nameof(JoinGroupRequest), 5)]
    [InlineData(nameof(ConsumerGroupHeartbeatResponse), 0)]
    public void Corrupted_bytes_either_decode_or_throw_protocol_exception(string messageName, short version)
    {
        var type = MessageFiller.MessageTypes.Single(t => t.Name == messageName);
        var valid = MessageBytes.Write(new MessageFiller(nullWhereAllowed: false).Create(type, version), version);
        var random = new Random(12345); // fixed seed: a failure reproduces
        for (var round = 0; round < 2000; round++)
        {
            var corrupted = (byte[])valid.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                corrupted[random.Next(corrupted.Length)] = (byte)random.Next(256);
            }

            var message = (IKafkaMessage)Activator.CreateInstance(type)!;
            var exception = Record.Exception(() => MessageBytes.Read(message, corrupted, version));
            Assert.True(exception is null or KafkaProtocolException, $"{messageName} v{version} round {round}: {exception}");
        }
    }

    [Fact]
    public void Negative_string_length_other_than_minus_one_is_rejected()
    {
        // ProduceRequest v3 transactional_id with length -2.
        byte[] body = [0xFF, 0xFE, 0x00, 0x01];
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Read<ProduceRequest>(body, 3, out _));
    }

    [Fact]
    public void Array_length_past_the_end_is_rejected_before_allocating()
    {
        byte[] body = [0x7F, 0xFF, 0xFF, 0xFF]; // MetadataRequest v1 with 2^31-1 topics
        var exception = Assert.Throws<KafkaProtocolException>(() => MessageBytes.Read<MetadataRequest>(body, 1, out _));
        Assert.Contains("exceeds", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Null_in_a_non_nullable_version_is_rejected_on_read()
    {
        byte[] body = [0xFF, 0xFF, 0xFF, 0xFF]; // MetadataRequest v0 topics null: nullable only from v1
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Read<MetadataRequest>(body, 0, out _));
    }

    [Fact]
    public void Null_in_a_non_nullable_version_is_rejected_on_write()
    {
        var request = new MetadataRequest { Topics = null };
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(request, 0));
        Assert.Equal([0xFF, 0xFF, 0xFF, 0xFF], MessageBytes.Write(request, 1));

        var topic = new MetadataRequest.MetadataRequestTopic { Name = null };
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(new MetadataRequest { Topics = [topic] }, 9));
    }

    [Fact]
    public void Non_default_value_of_a_non_ignorable_field_missing_from_the_version_is_rejected()
    {
        var request = new MetadataRequest { AllowAutoTopicCreation = false };
        var exception = Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(request, 3));
        Assert.Contains("AllowAutoTopicCreation", exception.Message, StringComparison.Ordinal);
        MessageBytes.Write(request, 4);
    }

    [Fact]
    public void Non_default_value_of_an_ignorable_field_is_dropped_silently()
    {
        var request = new MetadataRequest { Topics = [new() { Name = "orders", TopicId = Guid.NewGuid() }] };
        var decoded = MessageBytes.Read<MetadataRequest>(MessageBytes.Write(request, 9), 9, out _);
        Assert.Equal(Guid.Empty, decoded.Topics![0].TopicId);
    }

    [Fact]
    public void Unsupported_version_is_rejected()
    {
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(new MetadataRequest(), 13));
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Read<MetadataRequest>(new byte[16], -1, out _));
    }

    [Fact]
    public void Data_record_of_a_newer_version_parses_with_the_latest_format()
    {
        var subscription = new ConsumerProtocolSubscription { Topics = ["orders"], GenerationId = 3, RackId = "r1" };
        var bytes = MessageBytes.Concat(MessageBytes.Write(subscription, 3), [0x00, 0x07]); // plus a field a future v4 appended

        var decoded = MessageBytes.Read<ConsumerProtocolSubscription>(bytes, 4, out var consumed);
        Assert.Equal(bytes.Length - 2, consumed);
        Assert.Equal(["orders"], decoded.Topics);
        Assert.Equal((3, "r1"), (decoded.GenerationId, decoded.RackId));
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(decoded, 4));
    }

    [Fact]
    public void Api_lookup_by_enum_throws_for_unknown_keys()
    {
        Assert.Equal("Fetch", ApiMessageTypes.Get(ApiKey.Fetch).Name);
        Assert.Throws<ArgumentOutOfRangeException>(() => ApiMessageTypes.Get((ApiKey)999));
    }

    [Fact]
    public void Tagged_field_whose_size_disagrees_with_its_content_is_rejected()
    {
        // ApiVersionsResponse v3: empty api_keys, throttle 0, tag 1 (int64 epoch) claiming 4 bytes.
        byte[] body = [0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x01, 0x04, 0x00, 0x00, 0x00, 0x05];
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Read<ApiVersionsResponse>(body, 3, out _));
    }

    [Fact]
    public void Tagged_fields_in_a_non_flexible_version_are_rejected_on_write()
    {
        var request = new MetadataRequest { UnknownTaggedFields = [new RawTaggedField(5, [1])] };
        Assert.Throws<KafkaProtocolException>(() => MessageBytes.Write(request, 8));
    }
}
