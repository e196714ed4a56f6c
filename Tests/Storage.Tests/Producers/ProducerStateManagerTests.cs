using Orleans.Kafka.Storage.Producers;

namespace Orleans.Kafka.Storage.Tests.Producers;

public sealed class ProducerStateManagerTests
{
    private const long Pid = 1000;

    private readonly ManualTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    private ProducerStateManager NewManager(ProducerStateOptions? options = null) => new(options, _time);

    /// <summary>Checks then appends a batch of <paramref name="count"/> records at <paramref name="offset"/>, as the partition does.</summary>
    private static ProducerAppendCheck Produce(ProducerStateManager m, short epoch, int baseSeq, int count, long offset, bool transactional = false, long producerId = Pid)
    {
        var lastSeq = ProducerStateManager.LastSequenceOf(baseSeq, count - 1);
        var check = m.CheckAndPrepare(producerId, epoch, baseSeq, lastSeq, transactional);
        if (check.IsOk)
        {
            m.OnAppended(producerId, epoch, baseSeq, lastSeq, offset, offset + count - 1, 1_000 + offset, transactional);
        }

        return check;
    }

    [Fact]
    public void In_order_batches_are_accepted()
    {
        var m = NewManager();

        Assert.Equal(ProducerAppendStatus.Ok, Produce(m, 0, 0, 10, 0).Status);
        Assert.Equal(ProducerAppendStatus.Ok, Produce(m, 0, 10, 5, 10).Status);
        Assert.Equal(ProducerAppendStatus.Ok, Produce(m, 0, 15, 1, 15).Status);
        Assert.Equal(15, m.Producers[Pid].LastSequence);
    }

    [Fact]
    public void Batches_without_producer_id_are_not_checked()
    {
        var m = NewManager();

        Assert.True(m.CheckAndPrepare(-1, -1, -1, -1, false).IsOk);
        m.OnAppended(-1, -1, -1, -1, 0, 0, 0, false);
        Assert.Empty(m.Producers);
    }

    [Fact]
    public void Each_of_the_last_five_batches_is_a_duplicate_with_its_original_offsets()
    {
        var m = NewManager();
        for (var i = 0; i < 7; i++)
        {
            Assert.True(Produce(m, 0, i * 10, 10, 100 + (i * 10)).IsOk);
        }

        for (var i = 2; i < 7; i++)
        {
            var check = m.CheckAndPrepare(Pid, 0, i * 10, (i * 10) + 9, false);
            Assert.Equal(ProducerAppendStatus.Duplicate, check.Status);
            Assert.Equal(100 + (i * 10), check.DuplicateFirstOffset);
            Assert.Equal(109 + (i * 10), check.DuplicateLastOffset);
            Assert.Equal(1_000 + 100 + (i * 10), check.DuplicateTimestamp);
        }
    }

    [Fact]
    public void A_duplicate_older_than_the_last_five_batches_is_out_of_order()
    {
        var m = NewManager();
        for (var i = 0; i < 6; i++)
        {
            Produce(m, 0, i, 1, i);
        }

        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, m.CheckAndPrepare(Pid, 0, 0, 0, false).Status);
        Assert.Equal(ProducerAppendStatus.Duplicate, m.CheckAndPrepare(Pid, 0, 1, 1, false).Status);
    }

    [Fact]
    public void A_batch_overlapping_but_not_matching_a_cached_one_is_out_of_order()
    {
        var m = NewManager();
        Produce(m, 0, 0, 10, 0);

        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, m.CheckAndPrepare(Pid, 0, 0, 4, false).Status);
    }

    [Fact]
    public void A_sequence_gap_is_out_of_order()
    {
        var m = NewManager();
        Produce(m, 0, 0, 10, 0);

        var check = m.CheckAndPrepare(Pid, 0, 11, 11, false);

        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, check.Status);
        Assert.Contains("does not follow 9", check.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_epoch_bump_restarts_the_sequence_at_zero()
    {
        var m = NewManager();
        Produce(m, 0, 0, 10, 0);

        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, m.CheckAndPrepare(Pid, 1, 10, 10, false).Status);
        Assert.True(Produce(m, 1, 0, 3, 10).IsOk);
        Assert.Equal(1, m.Producers[Pid].Epoch);
        // The old epoch's batches are no longer duplicates and the old epoch is fenced.
        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, m.CheckAndPrepare(Pid, 0, 0, 9, false).Status);
        Assert.Equal(ProducerAppendStatus.OutOfOrderSequence, m.CheckAndPrepare(Pid, 1, 5, 5, false).Status);
    }

    [Fact]
    public void A_stale_epoch_is_rejected()
    {
        var m = NewManager();
        Produce(m, 5, 0, 1, 0);

        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, m.CheckAndPrepare(Pid, 4, 1, 1, false).Status);
    }

    [Fact]
    public void Sequence_wraps_from_int_max_to_zero()
    {
        var m = NewManager();
        Produce(m, 0, 0, 1, 0);
        // Jump close to the end by replaying a batch (as recovery would), then continue in order.
        m.Apply(Pid, 0, int.MaxValue - 9, int.MaxValue - 1, 1, 9, 0, false, false);
        Assert.True(Produce(m, 0, int.MaxValue, 3, 10).IsOk); // covers MaxValue, 0, 1
        Assert.Equal(1, m.Producers[Pid].LastSequence);
        Assert.True(Produce(m, 0, 2, 1, 13).IsOk);
        Assert.Equal(ProducerAppendStatus.Duplicate, m.CheckAndPrepare(Pid, 0, int.MaxValue, 1, false).Status);
    }

    [Theory]
    [InlineData(0, 0, 0)]
    [InlineData(5, 9, 14)]
    [InlineData(int.MaxValue - 2, 2, int.MaxValue)]
    [InlineData(int.MaxValue - 2, 3, 0)]
    [InlineData(int.MaxValue, 4, 3)]
    public void Last_sequence_wraps_like_producers_number_records(int baseSeq, int delta, int expected)
    {
        Assert.Equal(expected, ProducerStateManager.LastSequenceOf(baseSeq, delta));
    }

    [Fact]
    public void Unknown_producer_is_accepted_at_any_sequence_as_current_Kafka_does()
    {
        var m = NewManager();

        Assert.True(Produce(m, 3, 42, 2, 0).IsOk);
        Assert.True(Produce(m, 3, 44, 1, 2).IsOk);
    }

    [Fact]
    public void Unknown_producer_with_non_zero_sequence_can_be_rejected_as_unknown_producer_id()
    {
        var m = NewManager(new ProducerStateOptions { RejectUnknownProducerNonZeroSequence = true });

        Assert.Equal(ProducerAppendStatus.UnknownProducerId, m.CheckAndPrepare(Pid, 0, 5, 5, false).Status);
        Assert.True(Produce(m, 0, 0, 1, 0).IsOk);
    }

    [Fact]
    public void Status_values_are_Kafka_error_codes()
    {
        Assert.Equal(0, (short)ProducerAppendStatus.Ok);
        Assert.Equal(45, (short)ProducerAppendStatus.OutOfOrderSequence);
        Assert.Equal(46, (short)ProducerAppendStatus.Duplicate);
        Assert.Equal(47, (short)ProducerAppendStatus.InvalidProducerEpoch);
        Assert.Equal(48, (short)ProducerAppendStatus.InvalidTxnState);
        Assert.Equal(52, (short)ProducerAppendStatus.TransactionCoordinatorFenced);
        Assert.Equal(59, (short)ProducerAppendStatus.UnknownProducerId);
    }

    [Fact]
    public void First_unstable_offset_follows_open_transactions_through_commit_and_abort()
    {
        var m = NewManager();
        Assert.Null(m.FirstUnstableOffset);

        Produce(m, 0, 0, 5, 10, transactional: true, producerId: 1);
        Produce(m, 0, 0, 5, 15, transactional: true, producerId: 2);
        Produce(m, 0, 5, 5, 20, transactional: true, producerId: 1);
        Assert.Equal(10, m.FirstUnstableOffset);

        var commit = m.OnControlBatch(1, 0, ControlBatchType.Commit, 25);
        Assert.Equal(new CompletedTransaction(1, 10, 25, IsAborted: false), commit);
        Assert.Equal(15, m.FirstUnstableOffset);

        var abort = m.OnControlBatch(2, 0, ControlBatchType.Abort, 26);
        Assert.Equal(new CompletedTransaction(2, 15, 26, IsAborted: true), abort);
        Assert.Null(m.FirstUnstableOffset);

        // The next transaction of producer 1 starts at its first batch.
        Produce(m, 0, 10, 1, 27, transactional: true, producerId: 1);
        Assert.Equal(27, m.FirstUnstableOffset);
    }

    [Fact]
    public void Non_transactional_batch_during_a_transaction_is_invalid_txn_state()
    {
        var m = NewManager();
        Produce(m, 0, 0, 1, 0, transactional: true);

        Assert.Equal(ProducerAppendStatus.InvalidTxnState, m.CheckAndPrepare(Pid, 0, 1, 1, isTransactional: false).Status);
        Assert.True(m.CheckAndPrepare(Pid, 0, 1, 1, isTransactional: true).IsOk);
    }

    [Fact]
    public void Marker_from_an_old_epoch_or_coordinator_is_rejected()
    {
        var m = NewManager();
        Produce(m, 2, 0, 1, 0, transactional: true);
        m.OnControlBatch(Pid, 2, ControlBatchType.Commit, 1, coordinatorEpoch: 7);

        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, m.CheckControlBatch(Pid, 1, 7).Status);
        Assert.Equal(ProducerAppendStatus.TransactionCoordinatorFenced, m.CheckControlBatch(Pid, 2, 6).Status);
        Assert.True(m.CheckControlBatch(Pid, 3, 7).IsOk);
    }

    [Fact]
    public void Marker_with_a_bumped_epoch_fences_the_old_epoch()
    {
        var m = NewManager();
        Produce(m, 0, 0, 3, 0, transactional: true);

        // The coordinator aborts with epoch+1 (producer fenced by a new InitProducerId).
        m.OnControlBatch(Pid, 1, ControlBatchType.Abort, 3);

        Assert.Null(m.FirstUnstableOffset);
        Assert.Equal(ProducerAppendStatus.InvalidProducerEpoch, m.CheckAndPrepare(Pid, 0, 3, 3, true).Status);
        Assert.True(m.CheckAndPrepare(Pid, 1, 0, 0, true).IsOk);
    }

    [Fact]
    public void Idle_producers_expire_after_producer_id_expiration_ms_unless_in_a_transaction()
    {
        var m = NewManager();
        Produce(m, 0, 0, 1, 0, producerId: 1);
        Produce(m, 0, 0, 1, 1, transactional: true, producerId: 2);
        _time.Advance(TimeSpan.FromHours(12));
        Produce(m, 0, 0, 1, 2, producerId: 3);

        _time.Advance(TimeSpan.FromHours(12) - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, m.RemoveExpiredProducers());

        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, m.RemoveExpiredProducers());
        Assert.Equal([2L, 3L], m.Producers.Keys.Order());

        _time.Advance(TimeSpan.FromHours(12));
        Assert.Equal(1, m.RemoveExpiredProducers()); // 3 goes; 2 stays while its transaction is open
        Assert.Equal([2L], m.Producers.Keys);
    }

    [Fact]
    public void Expiration_follows_the_configured_setting()
    {
        var m = NewManager(new ProducerStateOptions { ProducerIdExpirationMs = 1000 });
        Produce(m, 0, 0, 1, 0);

        _time.Advance(TimeSpan.FromMilliseconds(1000));

        Assert.Equal(1, m.RemoveExpiredProducers());
        Assert.Empty(m.Producers);
    }
}
