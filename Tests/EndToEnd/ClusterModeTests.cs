using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// The cluster of issue 6 as a user runs it: a real PostgreSQL, three silo processes and two standalone gateway
/// processes. The silos run without their own Kafka listener (<c>Orleans:KafkaListener=false</c>), so every request a
/// client sends goes to a gateway, which forwards it by grain call to the silo owning the partition's files; this is
/// checked from librdkafka's own statistics (per broker address: requests, Produce/Fetch counts, partitions led).
/// "Through gateway A" means bootstrapped with A's address only: as with Kafka brokers, a client then talks to the
/// brokers Metadata names. Each standalone gateway names itself leader of every partition (GatewayDirectory.LeaderFor:
/// no gateway sits beside a silo), and librdkafka reads Metadata again from another broker it learned, so the test
/// reports how requests split between A and B instead of asserting that they stayed on A (they often do not).
/// </summary>
[Collection(PostgresClusterCollection.Name)]
public sealed class ClusterModeTests(PostgresServer postgres, ITestOutputHelper log) : IClassFixture<PostgresServer>
{
    private const int GatewayA = 101;
    private const int GatewayB = 102;
    private const int Partitions = 12;
    private const int Records = 100_000;

    [Fact]
    public async Task Three_silos_and_two_gateways_serve_100k_records_bootstrapped_through_A_and_B_across_a_silo_restart_and_a_gateway_kill()
    {
        var total = Stopwatch.StartNew();
        await using var cluster = await LocalCluster.StartAsync(postgres, new LocalClusterOptions
        {
            SiloIds = [1, 2, 3],
            GatewayIds = [GatewayA, GatewayB],
            SiloKafkaListeners = false,
        });
        log.WriteLine($"cluster up in {total.Elapsed.TotalSeconds:F1} s (silos {string.Join(", ", cluster.Silos.Values.Select(s => $"{s.LastStartTime.TotalSeconds:F1}"))} s)");

        await cluster.DumpOnFailureAsync(log, async () =>
        {
            // Both gateways see each other (registry heartbeats) and nothing else: the silos advertise no listener.
            await WaitForBrokersAsync(cluster.GatewayBootstrap(GatewayA), [GatewayA, GatewayB]);
            await WaitForBrokersAsync(cluster.GatewayBootstrap(GatewayB), [GatewayA, GatewayB]);

            const string topic = "cluster-e2e";
            await KafkaClients.CreateTopicAsync(cluster.GatewayBootstrap(GatewayA), topic, Partitions);
            // 100,000 records from a producer bootstrapped with gateway A only (requests may go to B: see the class comment).
            var expected = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => (long)Enumerable.Range(0, Records).Count(i => i % Partitions == p));
            var produceTime = await ProduceAsync(cluster, topic);
            log.WriteLine($"produced {Records} records through gateway A in {produceTime.TotalSeconds:F1} s ({Records / produceTime.TotalSeconds:F0} records/s)");
            Assert.Equal(expected, KafkaClients.HighWatermarks(cluster.GatewayBootstrap(GatewayB), topic, Partitions));

            // Each partition lives on exactly one silo (its directory is created when the partition first opens), spread over all three.
            var owners = Enumerable.Range(0, Partitions).ToDictionary(p => p, p => cluster.Silos.Keys.Where(s => cluster.PartitionsOn(s, topic).Contains(p)).ToList());
            log.WriteLine("partition owners: " + KafkaClients.Describe(owners.ToDictionary(kv => kv.Key, kv => string.Join('+', kv.Value))));
            Assert.All(owners.Values, o => Assert.Single(o));
            Assert.All(cluster.Silos.Keys, s => Assert.NotEmpty(cluster.PartitionsOn(s, topic)));

            // All of them, exactly, by a consumer bootstrapped with gateway B only.
            var consumeTime = await ConsumeAndVerifyAsync(cluster, topic, expected);
            log.WriteLine($"consumed {Records} records through gateway B in {consumeTime.TotalSeconds:F1} s ({Records / consumeTime.TotalSeconds:F0} records/s)");

            // A silo stopped: its partitions are unavailable; started again on its own log.dirs: they serve all their data.
            var restarted = cluster.Silos.Keys.OrderByDescending(s => cluster.PartitionsOn(s, topic).Count).First();
            var itsPartitions = cluster.PartitionsOn(restarted, topic);
            var stopping = Stopwatch.StartNew();
            var graceful = await cluster.StopSiloAsync(restarted);
            log.WriteLine(graceful
                ? $"silo {restarted} stopped gracefully in {stopping.Elapsed.TotalSeconds:F1} s"
                : $"silo {restarted} ignored SIGTERM for {stopping.Elapsed.TotalSeconds:F1} s and was killed");
            await WaitForLeaderlessAsync(cluster.GatewayBootstrap(GatewayB), topic, itsPartitions);
            var restart = Stopwatch.StartNew();
            await cluster.StartSiloAsync(restarted);
            await WaitForServedAsync(cluster, topic, itsPartitions, expected);
            log.WriteLine($"silo {restarted} (partitions {string.Join(',', itsPartitions)}) restarted: Active in {cluster.Silos[restarted].LastStartTime.TotalSeconds:F1} s, " +
                          $"its partitions served again {restart.Elapsed.TotalSeconds:F1} s after the start");
            var (endOffsets, retries) = await EndOffsetsAsync(cluster.GatewayBootstrap(GatewayA), topic, Partitions);
            log.WriteLine($"end offsets through gateway A after the restart: {retries} client error(s) before all partitions answered");
            Assert.Equal(expected, endOffsets);
            var reconsumeTime = await ConsumeAndVerifyAsync(cluster, topic, expected);
            log.WriteLine($"re-consumed all {Records} records after the restart in {reconsumeTime.TotalSeconds:F1} s");

            await GatewayKillAsync(cluster);
        });
        log.WriteLine($"total {total.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>Produces record i (key <c>k{i}</c>) to partition i % 12 with gateway A as the only bootstrap address; returns the time it took.</summary>
    private async Task<TimeSpan> ProduceAsync(LocalCluster cluster, string topic)
    {
        var stats = new ClientStatistics();
        var config = KafkaClients.ProducerConfig(cluster.GatewayBootstrap(GatewayA));
        config.StatisticsIntervalMs = 500;
        using var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetStatisticsHandler((_, json) => stats.Record(json)).Build();
        var failures = 0;
        var delivered = 0;
        var watch = Stopwatch.StartNew();
        await Task.Run(() =>
        {
            for (var i = 0; i < Records; i++)
            {
                var message = new Message<byte[], byte[]> { Key = Key(i), Value = Value(i) };
                while (true)
                {
                    try
                    {
                        producer.Produce(new TopicPartition(topic, i % Partitions), message, r =>
                        {
                            if (r.Error.IsError) Interlocked.Increment(ref failures);
                            else Interlocked.Increment(ref delivered);
                        });
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }

            Assert.Equal(0, producer.Flush(KafkaClients.Patience));
        });
        var elapsed = watch.Elapsed;
        Assert.Equal(0, failures);
        Assert.Equal(Records, delivered);
        await stats.WaitForNextAsync();
        var split = stats.RequestsPerAddress("Produce");
        log.WriteLine($"producer bootstrapped with gateway A only: Produce requests per broker {Describe(cluster, split)}");
        AssertOnlyGateways(cluster, stats);
        Assert.True(split.Values.Sum() > 0);
        return elapsed;
    }

    /// <summary>Reads every partition from offset 0 to its expected end (bootstrapped with gateway B only) and checks count, order, keys and values.</summary>
    private async Task<TimeSpan> ConsumeAndVerifyAsync(LocalCluster cluster, string topic, Dictionary<int, long> expected)
    {
        var bootstrap = cluster.GatewayBootstrap(GatewayB);
        var stats = new ClientStatistics();
        var config = KafkaClients.ConsumerConfig(bootstrap);
        config.StatisticsIntervalMs = 500;
        config.FetchMaxBytes = 16 << 20;
        config.MaxPartitionFetchBytes = 4 << 20;
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetStatisticsHandler((_, json) => stats.Record(json)).Build();
        var next = expected.Keys.ToDictionary(p => p, _ => 0L);
        var watch = Stopwatch.StartNew();
        await Task.Run(() =>
        {
            consumer.Assign(expected.Keys.Select(p => new TopicPartitionOffset(topic, p, 0)));
            var deadline = DateTime.UtcNow + KafkaClients.Patience;
            while (next.Any(kv => kv.Value < expected[kv.Key]))
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"consumed up to {KafkaClients.Describe(next)}, expected {KafkaClients.Describe(expected)}");
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null || result.IsPartitionEOF) continue;
                var p = result.Partition.Value;
                // Offset j of partition p holds record p + 12 j, in order, nothing skipped or repeated.
                Assert.Equal(next[p], result.Offset.Value);
                var i = p + (Partitions * (int)result.Offset.Value);
                Assert.Equal(Key(i), result.Message.Key);
                Assert.Equal(Value(i), result.Message.Value);
                next[p] = result.Offset.Value + 1;
            }
        });
        var elapsed = watch.Elapsed;
        Assert.Equal(expected, next);
        await stats.WaitForNextAsync(() => consumer.Consume(TimeSpan.FromMilliseconds(50)));
        consumer.Close();
        log.WriteLine($"consumer bootstrapped with gateway B only: Fetch requests per broker {Describe(cluster, stats.RequestsPerAddress("Fetch"))}");
        AssertOnlyGateways(cluster, stats);
        return elapsed;
    }

    /// <summary>
    /// A producer and a consumer bootstrapped with both gateways. Silos here have no gateway beside them, so every gateway
    /// names the same gateway, chosen by silo id, as leader of a silo's partitions: the clients lead some partitions through
    /// gateway A (asserted), which is then SIGKILLed mid-stream. Records acknowledged after the kill must all reach the
    /// consumer, now every partition through B.
    /// </summary>
    private async Task GatewayKillAsync(LocalCluster cluster)
    {
        const string topic = "cluster-failover";
        const int partitions = 4;
        var both = cluster.Bootstrap(GatewayA, GatewayB);
        var addressA = cluster.Gateways[GatewayA].BootstrapServers;
        var addressB = cluster.Gateways[GatewayB].BootstrapServers;
        await KafkaClients.CreateTopicAsync(cluster.GatewayBootstrap(GatewayB), topic, partitions);

        var producerStats = new ClientStatistics();
        var consumerStats = new ClientStatistics();
        var producer = await LedThroughAsync(addressA, producerStats, topic, partitions, async () =>
        {
            var config = KafkaClients.ProducerConfig(both);
            config.StatisticsIntervalMs = 200;
            config.LingerMs = 5;
            var client = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetStatisticsHandler((_, json) => producerStats.Record(json)).Build();
            // One warm-up record per partition (number -1, not counted) makes the client learn its leaders.
            for (var p = 0; p < partitions; p++)
            {
                await client.ProduceAsync(new TopicPartition(topic, p), new Message<byte[], byte[]> { Key = Key(-1), Value = "-1"u8.ToArray() });
            }

            return (client, (Action)(() => { }));
        });
        var consumer = await LedThroughAsync(addressA, consumerStats, topic, partitions, () =>
        {
            var config = KafkaClients.ConsumerConfig(both);
            config.StatisticsIntervalMs = 200;
            var client = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetStatisticsHandler((_, json) => consumerStats.Record(json)).Build();
            client.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, 0)));
            return Task.FromResult((client, (Action)(() => client.Consume(TimeSpan.FromMilliseconds(50)))));
        });
        using var _ = producer;

        var acked = new ConcurrentDictionary<int, bool>();
        var consumed = new ConcurrentDictionary<int, int>();
        var failed = 0;
        using var stop = new CancellationTokenSource();
        var consuming = Task.Run(() =>
        {
            using (consumer)
            {
                while (!stop.IsCancellationRequested)
                {
                    var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (result is null || result.IsPartitionEOF) continue;
                    consumed.AddOrUpdate(Number(result.Message.Value), 1, (_, n) => n + 1);
                }

                consumer.Close();
            }
        });
        var sent = 0;
        var producing = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var n = i;
                producer.Produce(new TopicPartition(topic, n % partitions), new Message<byte[], byte[]> { Key = Key(n), Value = Encoding.ASCII.GetBytes(n.ToString(CultureInfo.InvariantCulture)) }, r =>
                {
                    if (r.Error.IsError) Interlocked.Increment(ref failed);
                    else acked[n] = true;
                });
                Volatile.Write(ref sent, n + 1);
                // Pacing (a steady stream of about 2,000 records/s), not synchronisation.
                if (n % 20 == 19) await Task.Delay(10);
            }
        });

        // Records flow through A before the kill.
        await Eventually.TrueAsync(() => acked.Count >= 1000 && consumed.Count >= 500, TimeSpan.FromSeconds(60),
            () => $"before the kill: acked {acked.Count}, consumed {consumed.Count}");
        var producerToA = producerStats.RequestsTo(addressA);
        var consumerToA = consumerStats.RequestsTo(addressA);
        var ledThroughAAtKill = $"producer {producerStats.PartitionsLedThrough(addressA, topic)}, consumer {consumerStats.PartitionsLedThrough(addressA, topic)}";
        await cluster.KillGatewayAsync(GatewayA);
        var killedAt = Volatile.Read(ref sent);
        var afterKill = Stopwatch.StartNew();

        // After the kill: records sent after it are acknowledged and consumed, the clients now leading through B.
        // Every partition, including those led through A until the registry drops A (GatewayRegistryOptions.Expiry, 5 s)
        // and the clients refresh their metadata.
        await Eventually.TrueAsync(
            () => acked.Keys.Count(n => n >= killedAt) >= 3000 && acked.Keys.Where(n => n >= killedAt).Select(n => n % partitions).Distinct().Count() == partitions,
            TimeSpan.FromSeconds(60),
            () => $"after the kill at record {killedAt}: {acked.Keys.Count(n => n >= killedAt)} acked on partitions " +
                  $"[{string.Join(',', acked.Keys.Where(n => n >= killedAt).Select(n => n % partitions).Distinct().Order())}], {Volatile.Read(ref failed)} failed");
        var ackedAfterKillTime = afterKill.Elapsed;
        await Eventually.TrueAsync(() => acked.Keys.Where(n => n >= killedAt).All(consumed.ContainsKey), KafkaClients.Patience,
            () => $"{acked.Keys.Count(n => n >= killedAt && !consumed.ContainsKey(n))} records acknowledged after the kill not consumed");
        var consumedAfterKillTime = afterKill.Elapsed;
        await stop.CancelAsync();
        await producing;
        Assert.Equal(0, producer.Flush(KafkaClients.Patience));
        await consuming;

        log.WriteLine($"requests to A before the kill: producer {producerToA}, consumer {consumerToA}; partitions led through A at the kill: {ledThroughAAtKill}; " +
                      $"gateway A killed at record {killedAt}; " +
                      $"3000 records on every partition acknowledged after the kill within {ackedAfterKillTime.TotalSeconds:F1} s, all of them consumed within " +
                      $"{consumedAfterKillTime.TotalSeconds:F1} s; {Volatile.Read(ref failed)} delivery failures, " +
                      $"{consumed.Count(kv => kv.Value > 1)} records consumed twice (producer retries)");
        Assert.Equal(0, Volatile.Read(ref failed));
        Assert.Equal(partitions, producerStats.PartitionsLedThrough(addressB, topic));
    }

    /// <summary>Builds a client and waits until it knows every partition's leader; some of them must be <paramref name="address"/>.</summary>
    private static async Task<T> LedThroughAsync<T>(
        string address, ClientStatistics stats, string topic, int partitions, Func<Task<(T Client, Action Poll)>> build) where T : IDisposable
    {
        stats.Reset();
        var (client, poll) = await build();
        try
        {
            await Eventually.TrueAsync(() =>
            {
                poll();
                return stats.PartitionsLedThroughAny(topic) == partitions;
            }, TimeSpan.FromSeconds(30), () => "the client did not learn its partitions' leaders");
            Assert.True(stats.PartitionsLedThrough(address, topic) > 0, $"no partition of {topic} is led through {address}");
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Every request of the client went to one of the two gateways: the silos have no Kafka listener to be reached at.</summary>
    private static void AssertOnlyGateways(LocalCluster cluster, ClientStatistics stats)
    {
        var gateways = cluster.Gateways.Values.Select(g => g.BootstrapServers).ToHashSet();
        Assert.All(stats.AddressesWithRequests(), a => Assert.Contains(a, gateways));
    }

    private static string Describe(LocalCluster cluster, Dictionary<string, long> perAddress) =>
        string.Join(", ", cluster.Gateways.Values.Select(g => $"gateway {g.Id}: {perAddress.GetValueOrDefault(g.BootstrapServers)}"));

    private static async Task WaitForBrokersAsync(string bootstrap, int[] brokers)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        int[] seen = [];
        await Eventually.TrueAsync(
            () => (seen = [.. admin.GetMetadata(TimeSpan.FromSeconds(10)).Brokers.Select(b => b.BrokerId).Order()]).SequenceEqual(brokers),
            TimeSpan.FromSeconds(60),
            () => $"{bootstrap} lists brokers [{string.Join(',', seen)}], expected [{string.Join(',', brokers)}]");
    }

    /// <summary>Waits until Metadata reports no leader for the stopped silo's partitions (and a leader for the others).</summary>
    private static async Task WaitForLeaderlessAsync(string bootstrap, string topic, IReadOnlyList<int> partitions)
    {
        using var admin = KafkaClients.Admin(bootstrap);
        var seen = "";
        await Eventually.TrueAsync(() =>
        {
            var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions;
            seen = string.Join(", ", metadata.OrderBy(p => p.PartitionId).Select(p => $"p{p.PartitionId}:{p.Leader}/{p.Error.Code}"));
            return metadata.All(p => partitions.Contains(p.PartitionId) == (p.Leader < 0));
        }, TimeSpan.FromSeconds(60), () => $"metadata {seen}; expected no leader exactly for {string.Join(',', partitions)}");
    }

    /// <summary>
    /// Waits until every gateway names a leader for every partition again (each gateway's view of live silos lags by up
    /// to one registry heartbeat) and the partitions report their full end offsets.
    /// </summary>
    private static async Task WaitForServedAsync(LocalCluster cluster, string topic, IReadOnlyList<int> partitions, Dictionary<int, long> expected)
    {
        foreach (var gateway in cluster.Gateways.Values)
        {
            using var admin = KafkaClients.Admin(gateway.BootstrapServers);
            await Eventually.TrueAsync(
                () => admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.All(p => p.Leader >= 0),
                TimeSpan.FromSeconds(60), () => $"gateway {gateway.Id}: partitions {string.Join(',', partitions)} have no leader yet");
        }

        using var consumer = KafkaClients.Consumer(KafkaClients.ConsumerConfig(cluster.Bootstrap([.. cluster.Gateways.Keys])));
        var seen = new Dictionary<int, long>();
        await Eventually.TrueAsync(() =>
        {
            try
            {
                foreach (var p in partitions) seen[p] = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10)).High.Value;
                return true;
            }
            catch (KafkaException e) when (e.Error.Code is Confluent.Kafka.ErrorCode.Local_UnknownPartition or Confluent.Kafka.ErrorCode.LeaderNotAvailable
                                               or Confluent.Kafka.ErrorCode.NotLeaderForPartition or Confluent.Kafka.ErrorCode.Local_TimedOut)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(60), () => "end offsets not available");
        Assert.All(partitions, p => Assert.Equal(expected[p], seen[p]));
    }

    /// <summary>
    /// End offsets of every partition through <paramref name="bootstrap"/>, retrying librdkafka's errors for a partition
    /// without a leader: right after a silo restart a gateway's view of live silos can lag its registry heartbeat.
    /// </summary>
    private static async Task<(Dictionary<int, long> EndOffsets, int Retries)> EndOffsetsAsync(string bootstrap, string topic, int partitions)
    {
        var retries = 0;
        Dictionary<int, long>? result = null;
        await Eventually.TrueAsync(() =>
        {
            try
            {
                result = KafkaClients.HighWatermarks(bootstrap, topic, partitions);
                return true;
            }
            catch (KafkaException e) when (e.Error.Code is Confluent.Kafka.ErrorCode.Local_UnknownPartition or Confluent.Kafka.ErrorCode.LeaderNotAvailable
                                               or Confluent.Kafka.ErrorCode.NotLeaderForPartition)
            {
                retries++;
                return false;
            }
        }, TimeSpan.FromSeconds(60), () => $"end offsets of {topic} not available through {bootstrap}");
        return (result!, retries);
    }

    private static byte[] Key(int i) => Encoding.ASCII.GetBytes("k" + i.ToString(CultureInfo.InvariantCulture));

    /// <summary>About 60 bytes that depend on <paramref name="i"/> throughout, so a misplaced or torn value cannot pass.</summary>
    private static byte[] Value(int i)
    {
        var n = i.ToString(CultureInfo.InvariantCulture);
        return Encoding.ASCII.GetBytes($"value-{n}-{string.Concat(Enumerable.Repeat(n, 40 / n.Length + 1))}");
    }

    private static int Number(byte[] value) => int.Parse(Encoding.ASCII.GetString(value), CultureInfo.InvariantCulture);

    /// <summary>The latest librdkafka statistics of a client: which broker addresses carried requests.</summary>
    private sealed class ClientStatistics
    {
        private string _json = "{}";
        private int _count;

        public void Record(string json)
        {
            Volatile.Write(ref _json, json);
            Interlocked.Increment(ref _count);
        }

        /// <summary>Waits for a report emitted after now (<paramref name="poll"/> serves the callbacks of a consumer).</summary>
        public async Task WaitForNextAsync(Action? poll = null)
        {
            var before = Volatile.Read(ref _count);
            await Eventually.TrueAsync(() =>
            {
                poll?.Invoke();
                return Volatile.Read(ref _count) > before + 1;
            }, TimeSpan.FromSeconds(30), () => "no statistics from the client");
        }

        /// <summary>Broker addresses (host:port) with at least one request sent, the bootstrap connection included.</summary>
        public string[] AddressesWithRequests() => [.. PerAddress().Where(kv => kv.Value > 0).Select(kv => kv.Key).Order()];

        public long RequestsTo(string address) => PerAddress().GetValueOrDefault(address);

        /// <summary>Requests of one Kafka API (librdkafka's name, e.g. <c>Produce</c>, <c>Fetch</c>) per broker address.</summary>
        public Dictionary<string, long> RequestsPerAddress(string api)
        {
            using var document = JsonDocument.Parse(Volatile.Read(ref _json));
            var result = new Dictionary<string, long>();
            if (!document.RootElement.TryGetProperty("brokers", out var brokers)) return result;
            foreach (var broker in brokers.EnumerateObject())
            {
                var address = broker.Value.GetProperty("nodename").GetString() ?? "";
                if (broker.Value.TryGetProperty("req", out var requests) && requests.TryGetProperty(api, out var count))
                    result[address] = result.GetValueOrDefault(address) + count.GetInt64();
            }

            return result;
        }

        public void Reset() => Volatile.Write(ref _json, "{}");

        /// <summary>How many partitions of <paramref name="topic"/> the client sends to the broker at <paramref name="address"/> (its leader in the client's view).</summary>
        public int PartitionsLedThrough(string address, string topic) => Leaders(topic).Count(kv => kv.Value == address);

        public int PartitionsLedThroughAny(string topic) => Leaders(topic).Count;

        private Dictionary<int, string> Leaders(string topic)
        {
            using var document = JsonDocument.Parse(Volatile.Read(ref _json));
            var result = new Dictionary<int, string>();
            if (!document.RootElement.TryGetProperty("brokers", out var brokers)) return result;
            foreach (var broker in brokers.EnumerateObject())
            {
                var address = broker.Value.GetProperty("nodename").GetString() ?? "";
                if (address.Length == 0 || broker.Value.GetProperty("nodeid").GetInt32() < 0 || !broker.Value.TryGetProperty("toppars", out var toppars)) continue;
                foreach (var toppar in toppars.EnumerateObject())
                {
                    if (toppar.Value.GetProperty("topic").GetString() == topic) result[toppar.Value.GetProperty("partition").GetInt32()] = address;
                }
            }

            return result;
        }

        private Dictionary<string, long> PerAddress()
        {
            using var document = JsonDocument.Parse(Volatile.Read(ref _json));
            var result = new Dictionary<string, long>();
            if (!document.RootElement.TryGetProperty("brokers", out var brokers)) return result;
            foreach (var broker in brokers.EnumerateObject())
            {
                var address = broker.Value.GetProperty("nodename").GetString() ?? "";
                result[address] = result.GetValueOrDefault(address) + broker.Value.GetProperty("tx").GetInt64();
            }

            return result;
        }
    }
}
