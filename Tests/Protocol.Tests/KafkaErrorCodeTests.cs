namespace Orleans.Kafka.Protocol.Tests;

/// <summary>Error codes are numbered as in Kafka's Errors.java; clients map them by number.</summary>
public sealed class KafkaErrorCodeTests
{
    [Theory]
    [InlineData(KafkaErrorCode.UnknownServerError, -1)]
    [InlineData(KafkaErrorCode.UnknownTopicOrPartition, 3)]
    [InlineData(KafkaErrorCode.NotLeaderOrFollower, 6)]
    [InlineData(KafkaErrorCode.UnsupportedVersion, 35)]
    [InlineData(KafkaErrorCode.PreferredLeaderNotAvailable, 80)]
    [InlineData(KafkaErrorCode.GroupMaxSizeReached, 81)]
    [InlineData(KafkaErrorCode.FencedInstanceId, 82)]
    [InlineData(KafkaErrorCode.EligibleLeadersNotAvailable, 83)]
    [InlineData(KafkaErrorCode.UnstableOffsetCommit, 88)]
    [InlineData(KafkaErrorCode.ProducerFenced, 90)]
    [InlineData(KafkaErrorCode.SnapshotNotFound, 98)]
    [InlineData(KafkaErrorCode.PositionOutOfRange, 99)]
    [InlineData(KafkaErrorCode.UnknownTopicId, 100)]
    [InlineData(KafkaErrorCode.TransactionAbortable, 120)]
    [InlineData(KafkaErrorCode.VoterNotFound, 127)]
    [InlineData(KafkaErrorCode.InvalidRegularExpression, 128)]
    public void Codes_match_kafka(KafkaErrorCode code, short expected)
    {
        Assert.Equal(expected, (short)code);
    }

    [Fact]
    public void Every_code_from_minus_one_to_the_highest_is_defined_once()
    {
        var values = Enum.GetValues<KafkaErrorCode>().Select(v => (short)v).Order().ToList();
        Assert.Equal(Enumerable.Range(-1, values.Count).Select(v => (short)v), values);
    }
}
