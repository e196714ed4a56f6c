using Orleans.Kafka.Partitions;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;
using Orleans.Kafka.Topics;
using Orleans.TestingHost;

namespace Orleans.Kafka.Grains.Tests.PartitionGrains;

/// <summary>A single-silo cluster whose partition logs live in a temporary directory, removed on dispose.</summary>
public sealed class PartitionClusterFixture : IAsyncLifetime
{
    public string LogDirs { get; } = NewLogDirs();

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IGrainFactory Grains => Cluster.Client;

    public async Task InitializeAsync() => Cluster = await TopicClusters.StartAsync(1, configure: o => o.LogDirs = LogDirs);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        DeleteLogDirs(LogDirs);
    }

    public static string NewLogDirs() => Path.Combine(Path.GetTempPath(), "okafka-partitions-" + Guid.NewGuid().ToString("N"));

    public static void DeleteLogDirs(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}

internal static class PartitionTestSupport
{
    public static async Task<TopicInfo> CreateTopic(this IGrainFactory grains, string prefix, int partitions = 1, IReadOnlyDictionary<string, string?>? configs = null) =>
        await grains.CreateOk(TopicTestHelpers.Spec(TopicTestHelpers.UniqueName(prefix), partitions, configs: configs));

    public static IPartitionGrain Partition(this IGrainFactory grains, TopicInfo topic, int partition = 0) =>
        grains.GetPartitionGrain(topic.Name, partition);

    /// <summary>A batch of <paramref name="values"/> as a producer would send it (base offset 0).</summary>
    /// <summary>One batch of keyed records (a null value is a tombstone).</summary>
    public static byte[] KeyedBatch(CompressionType compression, params (string Key, string? Value)[] records)
    {
        var builder = new RecordBatchBuilder(compression);
        foreach (var (key, value) in records)
        {
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), System.Text.Encoding.UTF8.GetBytes(key), value is null ? null : System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    public static byte[] Batch(params string[] values) => Batch(CompressionType.None, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), values);

    public static byte[] Batch(CompressionType compression, long timestamp, params string[] values)
    {
        var builder = new RecordBatchBuilder(compression);
        foreach (var value in values)
        {
            builder.Add(timestamp, "k"u8, System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    public static byte[] IdempotentBatch(long producerId, short epoch, int sequence, params string[] values)
    {
        var builder = new RecordBatchBuilder { ProducerId = producerId, ProducerEpoch = epoch, BaseSequence = sequence };
        foreach (var value in values)
        {
            builder.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), "k"u8, System.Text.Encoding.UTF8.GetBytes(value));
        }

        return builder.Build();
    }

    public static Task<ProduceResult> Produce(this IPartitionGrain grain, TopicInfo topic, byte[] batch, short acks = 1) =>
        grain.Produce(new ProduceCommand(topic.TopicId, batch, acks, 30000));

    public static async Task<ProduceResult> ProduceOk(this IPartitionGrain grain, TopicInfo topic, byte[] batch)
    {
        var result = await grain.Produce(topic, batch);
        Assert.True(result.Error == KafkaErrorCode.None, $"{result.Error}: {result.ErrorMessage}");
        return result;
    }

    public static Task<FetchResult> Fetch(this IPartitionGrain grain, TopicInfo topic, long offset, int maxBytes = 1 << 20) =>
        grain.Fetch(new FetchCommand(topic.TopicId, offset, maxBytes, FetchIsolation.ReadUncommitted));

    /// <summary>The record values in fetched batches, with their offsets.</summary>
    public static List<(long Offset, string Value)> Values(ReadOnlyMemory<byte> records)
    {
        var result = new List<(long, string)>();
        var scratch = new System.Buffers.ArrayBufferWriter<byte>();
        var span = records.Span;
        while (span.Length > 0)
        {
            Assert.True(RecordBatch.TryPeekSize(span, out var size));
            var batch = span[..size];
            Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out var header, out var reason));
            foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
            {
                result.Add((header.BaseOffset + record.OffsetDelta, System.Text.Encoding.UTF8.GetString(record.Value)));
            }

            span = span[size..];
        }

        return result;
    }

    public static List<RecordBatchHeader> Headers(ReadOnlyMemory<byte> records)
    {
        var headers = new List<RecordBatchHeader>();
        foreach (var header in RecordBatch.EnumerateHeaders(records.Span))
        {
            headers.Add(header);
        }

        return headers;
    }
}
