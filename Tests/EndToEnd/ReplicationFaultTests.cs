using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// Issue 7's fault test as a user would run it: three silo processes on a real PostgreSQL (each with its own Kafka
/// listener, node.id = silo id), a replication.factor=3 / min.insync.replicas=2 topic, and an idempotent acks=all
/// producer writing sequenced values while the test SIGKILLs whichever silo leads partition 0, three times in turn,
/// restarting it and waiting for it to rejoin the ISR each time. Afterwards every acknowledged record must be in the
/// log exactly once, at the offset it was acknowledged with, in produce order. Membership is the test-tuned
/// <see cref="LocalClusterOptions.FastMembership"/>.
/// </summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class ReplicationFaultTests(PostgresServer postgres, ITestOutputHelper log) : IClassFixture<PostgresServer>
{
    private const string Topic = "replicated";
    private const int Partitions = 3;
    private const int Kills = 3;
    private const short ReplicationFactor = 3;
    private const int LagTimeMaxMs = 5000;

    /// <summary>Pace of the producer: one record per partition per tick.</summary>
    private static readonly TimeSpan ProduceTick = TimeSpan.FromMilliseconds(10);

    /// <summary>Upper bound on records per partition, whatever happens to the timing.</summary>
    private const long MaxRecordsPerPartition = 40_000;

    /// <summary>
    /// The issue's bound on the time from a leader's kill until producing resumes (test-tuned membership). Reported, not
    /// asserted (timing targets are figures, not pass/fail): 129 kills in 43 runs resumed in 1.5-9.2 s, median 3.5 s (39 of
    /// the runs with one core kept busy by another process). Over the bound, <c>OKAFKA_E2E_DUMP_DIR</c> keeps every
    /// silo's output (<c>OKAFKA_E2E_SAVE_ALWAYS=1</c>: of a passing run too).
    /// </summary>
    private static readonly TimeSpan ResumeBound = TimeSpan.FromSeconds(10);

    /// <summary>
    /// <c>OKAFKA_E2E_PRODUCTION_MEMBERSHIP=1</c> runs the same scenario with Orleans' default membership settings (a
    /// measurement of production failover, not a CI test: conditions wait longer).
    /// </summary>
    private static bool ProductionMembership => Environment.GetEnvironmentVariable("OKAFKA_E2E_PRODUCTION_MEMBERSHIP") == "1";

    private static TimeSpan ConditionPatience => ProductionMembership ? TimeSpan.FromSeconds(120) : TimeSpan.FromSeconds(45);

    [Fact]
    public async Task Acked_records_survive_three_leader_kills_exactly_once_and_in_order()
    {
        var clock = Stopwatch.StartNew();
        ClientLogRing? clientLog = null;
        await using var cluster = await LocalCluster.StartAsync(postgres, new LocalClusterOptions
        {
            SiloIds = [1, 2, 3],
            Membership = ProductionMembership ? new Dictionary<string, string>() : LocalClusterOptions.FastMembership,
            ExtraSiloArguments =
            [
                $"--Kafka:replica.lag.time.max.ms={LagTimeMaxMs}",
                // Keeps the kept output (the last lines of each silo) for the broker's own story: while a silo is down,
                // the refused placements of its replicas are logged with stack traces several times a second; a
                // follower's failed steps (Debug) are what explains a slow rejoin.
                "--Logging:LogLevel:Orleans.Messaging=Critical",
                "--Logging:LogLevel:Orleans.Kafka=Information",
                "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
                "--Logging:LogLevel:Orleans.Kafka.Grains.Partitions.ReplicaGrain=Debug",
            ],
        });
        log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] cluster up (silos {string.Join(", ", cluster.Silos.Values.Select(s => $"{s.LastStartTime.TotalSeconds:F1}"))} s)");

        try
        {
            var bootstrap = cluster.AllSilosBootstrap;
            using var topic = new TopicDescriber(bootstrap, Topic);
            await topic.Admin.CreateTopicsAsync(
            [
                new TopicSpecification
                {
                    Name = Topic,
                    NumPartitions = Partitions,
                    ReplicationFactor = ReplicationFactor,
                    Configs = new Dictionary<string, string> { ["min.insync.replicas"] = "2" },
                },
            ]);
            var initial = await topic.WaitForAsync("every partition led with ISR == replicas", ConditionPatience, FullyReplicated);
            log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] topic created: {TopicDescriber.Describe(initial)}");

            var acks = new AckedRecordLog(clock);
            clientLog = new ClientLogRing(acks);
            var fatal = new List<string>();
            using var producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
                {
                    BootstrapServers = bootstrap,
                    EnableIdempotence = true,
                    Acks = Acks.All,
                    LingerMs = 5,
                    // Far above any failover the test allows: a record fails only if something is really wrong.
                    MessageTimeoutMs = 60_000,
                    RequestTimeoutMs = 10_000,
                    SocketNagleDisable = true,
                    // The idempotent producer's own story (epoch bumps, retries judged persisted), kept for a failure.
                    Debug = "eos",
                })
                .SetLogHandler((_, message) => clientLog.Add(message))
                .SetErrorHandler((_, e) => { if (e.IsFatal) lock (fatal) fatal.Add(e.ToString()); })
                .Build();
            using var stopProducing = new CancellationTokenSource();
            var produced = Task.Run(() => ProduceUntilStoppedAsync(producer, acks, stopProducing.Token));

            var resumeTimes = new List<TimeSpan>();
            for (var round = 1; round <= Kills; round++)
            {
                var before = await topic.WaitForAsync("every partition led with ISR == replicas", ConditionPatience, FullyReplicated);
                var victim = before[0].Leader!.Id;
                // Producing flows to partition 0 before the kill, so the time to resume measures the failover only.
                await acks.WaitForAckAfterAsync(0, acks.Now, ConditionPatience);

                // From the moment the process is gone: an acknowledgement of a record sent after it can only come from a new leader.
                await cluster.KillSiloAsync(victim);
                var killedAt = acks.Now;
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s] kill {round}: SIGKILL silo {victim} (leader of partition 0)");
                var resumed = acks.WaitForAckAfterAsync(0, killedAt, ConditionPatience);

                // The under-replicated view (kafka-topics --describe --under-replicated-partitions): with the silo dead,
                // every partition it holds has an ISR smaller than its replicas, and partition 0 has a new leader.
                var degraded = await topic.WaitForAsync($"silo {victim} out of every ISR and not leading partition 0", ConditionPatience, d =>
                    d.All(p => p.Leader is { } leader && leader.Id >= 0 && leader.Id != victim && p.Replicas.Count == ReplicationFactor && !p.ISR.Any(n => n.Id == victim)));
                Assert.All(degraded, p => Assert.True(p.ISR.Count < p.Replicas.Count, $"partition {p.Partition} not under-replicated: {TopicDescriber.Describe(degraded)}"));
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s]   under-replicated while silo {victim} is dead: {TopicDescriber.Describe(degraded)}");

                var first = await resumed;
                var resumeTime = first.At - killedAt;
                resumeTimes.Add(resumeTime);
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s]   producing to partition 0 resumed {resumeTime.TotalSeconds:F2} s after the kill (offset {first.Offset})");

                await cluster.WaitUntilDeclaredDeadAsync(victim);
                // The scenario: the killed silo comes back after a short while (an operator or a supervisor restarting it).
                await Task.Delay(TimeSpan.FromSeconds(1));
                var restartAt = acks.Now;
                await cluster.StartSiloAsync(victim);
                var rejoined = await topic.WaitForAsync($"silo {victim} back in every ISR", ConditionPatience, FullyReplicated);
                log.WriteLine($"[{clock.Elapsed.TotalSeconds:F1} s]   silo {victim} restarted and back in every ISR {(acks.Now - restartAt).TotalSeconds:F1} s after its restart: {TopicDescriber.Describe(rejoined)}");
                Assert.All(rejoined, p => Assert.Equal(p.Replicas.Select(n => n.Id).Order(), p.ISR.Select(n => n.Id).Order()));
            }

            // Writes go on with the full ISR on every partition, then stop; everything still in flight gets its report.
            var tail = acks.Now;
            for (var p = 0; p < Partitions; p++) await acks.WaitForAckAfterAsync(p, tail, ConditionPatience);
            await stopProducing.CancelAsync();
            await produced;
            var left = producer.Flush(TimeSpan.FromSeconds(60));
            Assert.Equal(0, left);
            lock (fatal) Assert.True(fatal.Count == 0, "fatal producer errors: " + string.Join("; ", fatal));

            var acked = acks.Acked;
            var failed = acks.Failed;
            var consumed = await ConsumeAllAsync(bootstrap);
            DumpDuplicates(cluster, consumed);
            var found = VerifyLog(acked, consumed);
            var failedPresent = failed.Count(f => found.Contains(f.Value));

            var ordered = resumeTimes.Order().ToList();
            log.WriteLine($"time until producing resumed after each kill: {string.Join(", ", resumeTimes.Select(t => $"{t.TotalSeconds:F2} s"))}; median {ordered[ordered.Count / 2].TotalSeconds:F2} s");
            log.WriteLine($"records: {acked.Count} acknowledged ({acked.Count(a => a.Offset < 0)} without an offset), {failed.Count} failed ({string.Join(", ", failed.Select(f => f.Error).Distinct())}), " +
                          $"{failedPresent} of the failed ones in the log; {consumed.Sum(c => c.Value.Count)} consumed ({KafkaClients.Describe(consumed.ToDictionary(c => c.Key, c => c.Value.Count))})");
            // An epoch bump renumbers unconfirmed batches: harmless only if none of them was appended. Reported always.
            var bumps = clientLog.Lines.Where(l => l.Contains("epoch bump", StringComparison.OrdinalIgnoreCase)).ToList();
            log.WriteLine($"producer client: {bumps.Count} log lines about epoch bumps{(bumps.Count > 0 ? ": " + string.Join(" | ", bumps.Take(5)) : "")}");
            // OKAFKA_E2E_SAVE_ALWAYS=1 keeps the silos' output of a passing run too (a developer reading a slow failover).
            if (bumps.Count > 0 || Environment.GetEnvironmentVariable("OKAFKA_E2E_SAVE_ALWAYS") == "1")
            {
                SaveClientLog(clientLog);
                ClusterLogs.SaveFullOutput(cluster, log);
            }

            log.WriteLine($"wall time {clock.Elapsed.TotalSeconds:F1} s ({(ProductionMembership ? "Orleans' default membership" : "test-tuned membership")})");
            // Producing resumed after every kill (each wait above is bounded by ConditionPatience); the 10 s bound is a figure.
            var over = resumeTimes.Count(t => t >= ResumeBound);
            if (over > 0)
            {
                log.WriteLine($"OVER THE {ResumeBound.TotalSeconds:F0} s BOUND: {over} of {resumeTimes.Count} kills");
                ClusterLogs.SaveFullOutput(cluster, log);
            }
        }
        catch
        {
            if (clientLog is not null) ClientLogs(clientLog);
            ClusterLogs.DumpBrokerLines(cluster, log);
            ClusterLogs.SaveFullOutput(cluster, log);
            throw;
        }
    }

    /// <summary>What the producer client said about idempotence (epoch bumps and their reasons) before a failure.</summary>
    private void ClientLogs(ClientLogRing ring)
    {
        var lines = ring.Lines;
        var telling = lines.Where(l => l.Contains("epoch", StringComparison.OrdinalIgnoreCase) || l.Contains("persisted", StringComparison.OrdinalIgnoreCase)
                                       || l.Contains("sequence", StringComparison.OrdinalIgnoreCase) || l.Contains("drain", StringComparison.OrdinalIgnoreCase)).ToList();
        log.WriteLine($"--- producer client (debug=eos): {telling.Count} of {lines.Count} kept lines about epochs, sequences and drains (last 300) ---");
        foreach (var line in telling.TakeLast(300)) log.WriteLine(line);
        SaveClientLog(ring);
    }

    /// <summary>With <c>OKAFKA_E2E_DUMP_DIR</c> set, the producer client's whole kept log goes there too.</summary>
    private static void SaveClientLog(ClientLogRing ring)
    {
        if (Environment.GetEnvironmentVariable("OKAFKA_E2E_DUMP_DIR") is { Length: > 0 } directory)
        {
            Directory.CreateDirectory(directory);
            File.WriteAllLines(Path.Combine(directory, "producer-client.log"), ring.Lines);
        }
    }

    /// <summary>
    /// For a record found twice: every silo's copy of that partition around both offsets (producer id, epoch, sequences,
    /// leader epoch of each batch), which tells a resend under a new producer epoch from a batch the broker failed to recognise.
    /// </summary>
    private void DumpDuplicates(LocalCluster cluster, Dictionary<int, List<(long Offset, SequencedValue Value)>> consumed)
    {
        foreach (var (partition, records) in consumed)
        {
            var first = new Dictionary<SequencedValue, long>();
            foreach (var (offset, value) in records)
            {
                if (!first.TryAdd(value, offset))
                {
                    log.WriteLine($"partition {partition}: {value} at {first[value]} and again at {offset}");
                    foreach (var silo in cluster.Silos.Values.Where(s => s.DataDirectory is not null))
                    {
                        log.WriteLine($"  {silo.Name}'s copy:");
                        foreach (var line in CopyDump.Headers(silo.DataDirectory!, Topic, partition, first[value] - 6, offset + 6)) log.WriteLine("    " + line);
                    }

                    return; // the first one tells the story
                }
            }
        }
    }

    /// <summary>
    /// One sequenced record per partition per tick, until stopped (or the per-partition bound). Each delivery report goes
    /// to the log; the producer's own queue absorbs the time partition 0 has no leader.
    /// </summary>
    private static async Task ProduceUntilStoppedAsync(IProducer<byte[], byte[]> producer, AckedRecordLog acks, CancellationToken stop)
    {
        using var ticks = new PeriodicTimer(ProduceTick);
        for (long sequence = 0; sequence < MaxRecordsPerPartition && !stop.IsCancellationRequested; sequence++)
        {
            for (var p = 0; p < Partitions; p++)
            {
                var value = new SequencedValue(p, sequence);
                var sentAt = acks.Now;
                producer.Produce(new TopicPartition(Topic, p), new Message<byte[], byte[]> { Value = value.ToBytes() }, report => acks.OnDelivery(value, sentAt, report));
            }

            try
            {
                await ticks.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The log as read back from the beginning by a fresh consumer: every acknowledged record exactly once at its
    /// acknowledged offset, and every partition's values in produce (sequence) order. Returns the values found.
    /// </summary>
    private static HashSet<SequencedValue> VerifyLog(IReadOnlyList<AckedRecord> acked, Dictionary<int, List<(long Offset, SequencedValue Value)>> consumed)
    {
        var found = new HashSet<SequencedValue>();
        foreach (var (partition, records) in consumed)
        {
            for (var i = 0; i < records.Count; i++)
            {
                Assert.Equal(partition, records[i].Value.Partition);
                Assert.True(found.Add(records[i].Value), $"partition {partition}: {records[i].Value} appears twice (again at offset {records[i].Offset})");
                if (i > 0)
                {
                    Assert.True(records[i].Value.Sequence > records[i - 1].Value.Sequence,
                        $"partition {partition}: sequence {records[i].Value.Sequence} at offset {records[i].Offset} follows {records[i - 1].Value.Sequence} at offset {records[i - 1].Offset}");
                }
            }
        }

        var offsets = consumed.Values.SelectMany(r => r).ToDictionary(r => r.Value, r => r.Offset);
        var missing = acked.Where(a => !offsets.ContainsKey(a.Value)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} acknowledged records missing, e.g. {string.Join(", ", missing.Take(10))}");
        // librdkafka acknowledges without an offset (-1001) a batch it infers was persisted: its request got no answer (the
        // leader died) but a later batch of the same producer was accepted in sequence. Such a record must be present
        // exactly once like any other; only its offset cannot be compared.
        var moved = acked.Where(a => a.Offset >= 0 && offsets[a.Value] != a.Offset).ToList();
        Assert.True(moved.Count == 0, $"{moved.Count} acknowledged records not at their acknowledged offset, e.g. " +
                                      string.Join(", ", moved.Take(10).Select(a => $"{a.Value} acked at {a.Offset}, found at {offsets[a.Value]}")));
        return found;
    }

    /// <summary>Reads every partition from the beginning to its end as the broker reports it now (fresh group, read_committed).</summary>
    private static Task<Dictionary<int, List<(long Offset, SequencedValue Value)>>> ConsumeAllAsync(string bootstrap) => Task.Run(() =>
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "replication-check-" + Guid.NewGuid().ToString("N")[..8],
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            IsolationLevel = IsolationLevel.ReadCommitted,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build();
        var ends = Enumerable.Range(0, Partitions).ToDictionary(
            p => p, p => consumer.QueryWatermarkOffsets(new TopicPartition(Topic, p), TimeSpan.FromSeconds(30)).High.Value);
        var records = ends.Keys.ToDictionary(p => p, _ => new List<(long, SequencedValue)>());
        var next = ends.Keys.ToDictionary(p => p, _ => 0L);
        consumer.Assign(ends.Keys.Select(p => new TopicPartitionOffset(Topic, p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + ConditionPatience;
        while (next.Any(kv => kv.Value < ends[kv.Key]))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"consumed up to {KafkaClients.Describe(next)}, expected {KafkaClients.Describe(ends)}");
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF) continue;
            records[result.Partition.Value].Add((result.Offset.Value, SequencedValue.Parse(result.Message.Value)));
            next[result.Partition.Value] = result.Offset.Value + 1;
        }

        consumer.Close();
        return records;
    });

    /// <summary>
    /// Every partition led, with all three replicas named and in the ISR. (A gateway whose view has not yet seen another
    /// silo's listener register names that silo's replica by a fallback broker, so the count is checked too.)
    /// </summary>
    private static bool FullyReplicated(IReadOnlyList<TopicPartitionInfo> partitions) =>
        partitions.Count == Partitions
        && partitions.All(p => p.Leader is { Id: >= 0 } && p.Replicas.Count == ReplicationFactor && p.ISR.Count == ReplicationFactor
                               && p.Replicas.All(r => p.ISR.Any(i => i.Id == r.Id)));
}
