using Orleans.Kafka.Gateway.Apis;
using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Tests.Partitions;

/// <summary>
/// The per-connection fence that keeps an idempotent producer's pipeline from reaching a partition out of order while it
/// moves (see <see cref="ProduceRefusals"/>): after a refused batch, later batches are refused the same way until the
/// client sends the refused one again.
/// </summary>
public sealed class ProduceRefusalsTests
{
    private static readonly BatchProducer Refused = new(7, 0, 100);

    [Fact]
    public void Later_batches_of_the_producer_are_refused_with_the_same_error_until_the_refused_one_comes_again()
    {
        var fences = new ProduceRefusals();
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.NotLeaderOrFollower);

        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));
        Assert.Equal(KafkaErrorCode.NotLeaderOrFollower, fences.Check("c1", "t", 0, Refused with { BaseSequence = 105 }));

        // The retry of the refused batch passes and lifts the fence.
        Assert.Null(fences.Check("c1", "t", 0, Refused));
        Assert.Null(fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));
    }

    [Fact]
    public void Other_connections_partitions_producers_and_epochs_are_not_fenced()
    {
        var fences = new ProduceRefusals();
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.NotEnoughReplicas);

        Assert.Null(fences.Check("c2", "t", 0, Refused with { BaseSequence = 101 }));
        Assert.Null(fences.Check("c1", "t", 1, Refused with { BaseSequence = 101 }));
        Assert.Null(fences.Check("c1", "u", 0, Refused with { BaseSequence = 101 }));
        Assert.Equal(KafkaErrorCode.NotEnoughReplicas, fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));
        // A new epoch restarts the sequence: the client has moved on.
        Assert.Null(fences.Check("c1", "t", 0, new BatchProducer(7, 1, 0)));
        Assert.Equal(0, fences.Count);

        // So has a client that re-initialised with another producer id (a connection belongs to one client).
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.NotEnoughReplicas);
        Assert.Null(fences.Check("c1", "t", 0, new BatchProducer(8, 0, 101)));
        Assert.Equal(0, fences.Count);
    }

    [Fact]
    public void Success_or_a_permanent_error_lifts_the_fence()
    {
        var fences = new ProduceRefusals();
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.LeaderNotAvailable);
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.None);
        Assert.Null(fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));

        // Out-of-order and corrupt batches are answered as Kafka answers them; they do not fence.
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.OutOfOrderSequenceNumber);
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.CorruptMessage);
        Assert.Null(fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));
    }

    [Fact]
    public void A_fence_expires()
    {
        var clock = new ManualClock();
        var fences = new ProduceRefusals(clock);
        fences.OnOutcome("c1", "t", 0, Refused, KafkaErrorCode.NotLeaderOrFollower);
        clock.Advance(ProduceRefusals.Lifetime + TimeSpan.FromMilliseconds(1));
        Assert.Null(fences.Check("c1", "t", 0, Refused with { BaseSequence = 101 }));
    }

    [Fact]
    public void Producer_fields_are_read_from_the_batch_header()
    {
        var batch = new byte[61];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), 42);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(51), 3);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(53), 1000);
        Assert.Equal(new BatchProducer(42, 3, 1000), ProduceRefusals.ProducerOf(batch));

        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(43), -1);
        Assert.Null(ProduceRefusals.ProducerOf(batch));
        Assert.Null(ProduceRefusals.ProducerOf(batch.AsSpan(0, 60)));
    }

    private sealed class ManualClock : TimeProvider
    {
        private long _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _ticks;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;
    }
}
