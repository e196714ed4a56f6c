using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// DescribeTopics (what <c>kafka-topics --describe</c> sends) polled until a condition holds. A call that fails replaces
/// the admin client: librdkafka's admin client sends DescribeTopics to the controller named by its last Metadata and,
/// having no topics of its own to refresh, keeps waiting for a controller that was just SIGKILLed; a new client
/// bootstraps again and learns the controller the live brokers name now.
/// </summary>
internal sealed class TopicDescriber(string bootstrap, string topic) : IDisposable
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(3);
    private readonly List<IAdminClient> _retired = [];
    private IAdminClient? _admin;

    public IAdminClient Admin => _admin ??= new AdminClientBuilder(new AdminClientConfig
        {
            BootstrapServers = bootstrap,
            SocketTimeoutMs = 10000,
            TopicMetadataRefreshIntervalMs = 1000,
        })
        .SetLogHandler((_, _) => { })
        .Build();

    /// <summary>Describes the topic until <paramref name="condition"/> holds on its partitions (in partition order).</summary>
    public async Task<IReadOnlyList<TopicPartitionInfo>> WaitForAsync(string what, TimeSpan patience, Func<IReadOnlyList<TopicPartitionInfo>, bool> condition)
    {
        var deadline = DateTime.UtcNow + patience;
        var last = "nothing described yet";
        while (true)
        {
            try
            {
                var described = await Admin.DescribeTopicsAsync(TopicCollection.OfTopicNames([topic]), new DescribeTopicsOptions { RequestTimeout = CallTimeout });
                var partitions = described.TopicDescriptions.Single().Partitions.OrderBy(p => p.Partition).ToList();
                if (condition(partitions)) return partitions;
                last = Describe(partitions);
            }
            catch (KafkaException ex)
            {
                last = ex.Message;
                // Retired, not destroyed here: it is disposed with this describer, once nothing of it can be in flight.
                if (_admin is { } failed) _retired.Add(failed);
                _admin = null;
            }

            if (DateTime.UtcNow > deadline) throw new TimeoutException($"not {what} within {patience}; last: {last}");
            await Task.Delay(100);
        }
    }

    public static string Describe(IEnumerable<TopicPartitionInfo> partitions) =>
        string.Join("; ", partitions.Select(p =>
            $"p{p.Partition} leader {(p.Leader is { } l ? l.Id : -1)} replicas [{string.Join(',', p.Replicas.Select(n => n.Id))}] isr [{string.Join(',', p.ISR.Select(n => n.Id))}]"));

    public void Dispose()
    {
        _admin?.Dispose();
        foreach (var admin in _retired) admin.Dispose();
    }
}

/// <summary>Silo output worth reading after a failed fault test: the broker's own log lines, warnings and errors, without stack traces and Polly chatter.</summary>
internal static class ClusterLogs
{
    public static void DumpBrokerLines(LocalCluster cluster, ITestOutputHelper log, int lines = 400)
    {
        foreach (var silo in cluster.Silos.Values)
        {
            var kept = new List<string>();
            var keepNext = false;
            foreach (var raw in silo.OutputLines())
            {
                // Lines may start with a "HH:mm:ss.fff " timestamp (Logging:Console:FormatterOptions:TimestampFormat).
                var line = raw.Length > 13 && raw[2] == ':' && raw[12] == ' ' ? raw[13..] : raw;
                var header = line.StartsWith("info: Orleans.Kafka", StringComparison.Ordinal) || line.StartsWith("warn:", StringComparison.Ordinal)
                             || line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal);
                if (header || line.StartsWith("===", StringComparison.Ordinal) || (keepNext && !line.TrimStart().StartsWith("at ", StringComparison.Ordinal)))
                {
                    kept.Add(raw);
                }

                keepNext = header;
            }

            log.WriteLine($"--- {silo.Name}: broker lines (last {Math.Min(lines, kept.Count)} of {kept.Count}) ---");
            foreach (var line in kept.TakeLast(lines)) log.WriteLine(line);
        }
    }

    /// <summary>
    /// With <c>OKAFKA_E2E_DUMP_DIR</c> set (a developer chasing a failure), writes every silo's whole output there
    /// (<c>silo-{id}.log</c>) and a copy of its log.dirs (<c>silo-{id}-data</c>); the test output only has room for the broker lines.
    /// </summary>
    public static void SaveFullOutput(LocalCluster cluster, ITestOutputHelper log)
    {
        if (Environment.GetEnvironmentVariable("OKAFKA_E2E_DUMP_DIR") is not { Length: > 0 } directory) return;
        Directory.CreateDirectory(directory);
        foreach (var silo in cluster.Silos.Values)
        {
            var path = Path.Combine(directory, $"silo-{silo.Id}.log");
            File.WriteAllLines(path, silo.OutputLines());
            log.WriteLine($"{silo.Name}: whole output in {path}");
            if (silo.DataDirectory is { } data && Directory.Exists(data))
            {
                CopyDirectory(data, Path.Combine(directory, $"silo-{silo.Id}-data"));
            }
        }
    }

    private static void CopyDirectory(string source, string target)
    {
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(file) == ".lock") continue; // held exclusively by a running silo, and empty
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }
    }
}

/// <summary>
/// The last lines librdkafka logged (with <c>debug=eos</c>: the idempotent producer's state, epoch bumps and why), kept
/// for a failed fault test: a duplicate is either the broker's (its producer state missed a batch) or the client's (it
/// bumped its epoch and resent batches the broker had), and only the client knows which it did.
/// </summary>
internal sealed class ClientLogRing(AckedRecordLog clock, int capacity = 5000)
{
    private readonly Queue<string> _lines = new();

    public void Add(LogMessage message)
    {
        var line = $"[{clock.Now.TotalSeconds:F3} s] {message.Level} {message.Facility} {message.Message}";
        lock (_lines)
        {
            _lines.Enqueue(line);
            while (_lines.Count > capacity) _lines.Dequeue();
        }
    }

    public IReadOnlyList<string> Lines { get { lock (_lines) { return [.. _lines]; } } }
}

/// <summary>
/// The batch headers of one partition's copy on disk (what <c>kafka-dump-log --print-data-log</c> shows without records):
/// offsets, leader epoch, producer id, epoch and sequences, read from the segment files of a silo's log.dirs.
/// </summary>
internal static class CopyDump
{
    public static IEnumerable<string> Headers(string logDirs, string topic, int partition, long fromOffset, long toOffset)
    {
        var directory = Path.Combine(logDirs, $"{topic}-{partition}");
        if (!Directory.Exists(directory)) yield break;
        foreach (var segment in Directory.EnumerateFiles(directory, "*.log").Order(StringComparer.Ordinal))
        {
            byte[] bytes;
            try
            {
                using var stream = new FileStream(segment, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
                bytes = new byte[stream.Length];
                stream.ReadExactly(bytes);
            }
            catch (IOException)
            {
                continue;
            }

            var position = 0;
            while (position < bytes.Length
                   && Storage.Records.RecordBatchHeader.TryRead(bytes.AsSpan(position), out var header)
                   && header.TotalSize > Storage.Records.RecordBatchHeader.LogOverhead && position + header.TotalSize <= bytes.Length)
            {
                if (header.LastOffset >= fromOffset && header.BaseOffset <= toOffset)
                {
                    yield return $"{Path.GetFileName(segment)} offsets {header.BaseOffset}..{header.LastOffset} leaderEpoch {header.PartitionLeaderEpoch} " +
                                 $"producer {header.ProducerId} epoch {header.ProducerEpoch} seq {header.BaseSequence}..{header.LastSequence}";
                }

                position += header.TotalSize;
            }
        }
    }
}
