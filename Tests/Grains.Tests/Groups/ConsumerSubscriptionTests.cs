using Orleans.Kafka.Grains.Groups;

namespace Orleans.Kafka.Grains.Tests.Groups;

/// <summary>Reading the topics out of a consumer protocol subscription (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC check).</summary>
public sealed class ConsumerSubscriptionTests
{
    [Fact]
    public void Topics_of_a_subscription_are_read_in_order()
    {
        var topics = ConsumerSubscription.TryReadTopics(GroupOffsetTests.Subscription("a", "bé", "c"));

        Assert.Equal(["a", "bé", "c"], topics);
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 2, 0, 1, (byte)'a' })]
    [InlineData(new byte[] { 0, 0, 0, 0, 0, 1, 0, 9, (byte)'a' })]
    [InlineData(new byte[] { 0, 0, 0x7f, 0xff, 0xff, 0xff })]
    [InlineData(new byte[] { 0xff, 0xff, 0, 0, 0, 0 })]
    public void Truncated_or_malformed_metadata_is_unreadable_rather_than_an_exception(byte[] metadata)
    {
        Assert.Null(ConsumerSubscription.TryReadTopics(metadata));
    }
}
