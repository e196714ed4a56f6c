namespace Orleans.Kafka.Protocol.Tests;

/// <summary>Every generated message, every version: write, read, write again gives the same bytes.</summary>
public sealed class RoundTripTests
{
    public static TheoryData<string> MessageNames()
    {
        var data = new TheoryData<string>();
        foreach (var type in MessageFiller.MessageTypes)
        {
            data.Add(type.Name);
        }

        return data;
    }

    [Fact]
    public void Every_definition_produced_a_message_type()
    {
        // 176 request/response types, 2 headers and 8 data records from Kafka's definitions.
        Assert.Equal(186, MessageFiller.MessageTypes.Count);
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Every_version_round_trips_with_all_fields_set(string messageName)
    {
        AssertRoundTrips(messageName, nullWhereAllowed: false);
    }

    [Theory]
    [MemberData(nameof(MessageNames))]
    public void Every_version_round_trips_with_nulls_where_allowed(string messageName)
    {
        AssertRoundTrips(messageName, nullWhereAllowed: true);
    }

    private static void AssertRoundTrips(string messageName, bool nullWhereAllowed)
    {
        var type = MessageFiller.MessageTypes.Single(t => t.Name == messageName);
        var (lowest, highest) = MessageFiller.Versions(type);
        for (var version = lowest; version <= highest; version++)
        {
            var original = new MessageFiller(nullWhereAllowed).Create(type, version);
            var first = MessageBytes.Write(original, version);

            var decoded = (IKafkaMessage)Activator.CreateInstance(type)!;
            var consumed = MessageBytes.Read(decoded, first, version);
            Assert.True(consumed == first.Length, $"{messageName} v{version}: read {consumed} of {first.Length} bytes.");

            var difference = MessageComparer.FirstDifference(original, decoded, version);
            Assert.True(difference is null, $"{messageName} v{version}: decoded value differs at {difference}");

            var second = MessageBytes.Write(decoded, version);
            Assert.True(first.AsSpan().SequenceEqual(second), $"{messageName} v{version}: bytes differ after a round trip.");
        }
    }
}
