using Orleans.Kafka.Storage.Compression;
using Orleans.Kafka.Storage.Records;

namespace Orleans.Kafka.Storage.Tests.Records;

/// <summary>A record as plain data, to build batches from and compare decoded records with.</summary>
internal sealed record TestRecord(long Timestamp, byte[]? Key, byte[]? Value, IReadOnlyList<KeyValuePair<string, byte[]?>> Headers);

internal static class TestRecords
{
    public static byte[] Batch(CompressionType compression, IReadOnlyList<TestRecord> records, long producerId = -1)
    {
        var builder = new RecordBatchBuilder(compression) { ProducerId = producerId, ProducerEpoch = producerId < 0 ? (short)-1 : (short)0, BaseSequence = producerId < 0 ? -1 : 0 };
        foreach (var r in records)
        {
            builder.Add(r.Timestamp, r.Key, r.Value, r.Headers);
        }

        return builder.Build();
    }

    /// <summary>A batch of <paramref name="count"/> records with values of <paramref name="valueSize"/> bytes.</summary>
    public static byte[] Simple(int count, int valueSize = 10, long timestamp = 1_700_000_000_000, CompressionType compression = CompressionType.None)
    {
        var builder = new RecordBatchBuilder(compression);
        var value = new byte[valueSize];
        for (var i = 0; i < count; i++)
        {
            value.AsSpan().Fill((byte)i);
            builder.Add(timestamp + i, BitConverter.GetBytes(i), value);
        }

        return builder.Build();
    }

    public static List<TestRecord> Decode(byte[] batch)
    {
        Assert.Equal(BatchError.None, RecordBatch.Validate(batch, out var header, out var reason));
        Assert.Null(reason);
        var scratch = new System.Buffers.ArrayBufferWriter<byte>();
        var result = new List<TestRecord>();
        foreach (var record in RecordBatch.GetRecords(batch, header, scratch))
        {
            var headers = new List<KeyValuePair<string, byte[]?>>();
            foreach (var h in record.Headers)
            {
                headers.Add(new(System.Text.Encoding.UTF8.GetString(h.Key), h.ValueIsNull ? null : h.Value.ToArray()));
            }

            result.Add(new TestRecord(header.BaseTimestamp + record.TimestampDelta, record.KeyIsNull ? null : record.Key.ToArray(), record.ValueIsNull ? null : record.Value.ToArray(), headers));
        }

        return result;
    }

    public static void AssertSame(IReadOnlyList<TestRecord> expected, IReadOnlyList<TestRecord> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Timestamp, actual[i].Timestamp);
            Assert.Equal(expected[i].Key, actual[i].Key);
            Assert.Equal(expected[i].Value, actual[i].Value);
            Assert.Equal(expected[i].Headers.Count, actual[i].Headers.Count);
            for (var h = 0; h < expected[i].Headers.Count; h++)
            {
                Assert.Equal(expected[i].Headers[h].Key, actual[i].Headers[h].Key);
                Assert.Equal(expected[i].Headers[h].Value, actual[i].Headers[h].Value);
            }
        }
    }
}
