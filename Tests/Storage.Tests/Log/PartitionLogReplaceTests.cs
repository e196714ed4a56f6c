using Orleans.Kafka.Storage.Log;
using Orleans.Kafka.Storage.Records;
using static Orleans.Kafka.Storage.Tests.Log.LogTestSupport;

namespace Orleans.Kafka.Storage.Tests.Log;

public class PartitionLogReplaceTests
{
    private static readonly LogConfig Config = new() { SegmentBytes = 800, IndexIntervalBytes = 100, RetentionMs = -1 };

    /// <summary>Writes every other stored batch of the first <paramref name="count"/> segments to a file, as a cleaner might.</summary>
    private static (string Path, List<long> Kept, List<long> Replaced) Clean(PartitionLog log, string directory, int count)
    {
        var replaced = log.Segments.Take(count).Select(s => s.BaseOffset).ToList();
        var limit = log.Segments[count].BaseOffset;
        var bytes = ReadAll(log);
        var kept = new List<long>();
        var output = new List<byte>();
        var position = 0;
        var index = 0;
        foreach (var header in Headers(bytes))
        {
            if (header.BaseOffset < limit && index++ % 2 == 0)
            {
                output.AddRange(bytes.AsSpan(position, header.TotalSize).ToArray());
                kept.Add(header.BaseOffset);
            }

            position += header.TotalSize;
        }

        var path = Path.Combine(directory, "cleaned.log.cleaned");
        File.WriteAllBytes(path, output.ToArray());
        return (path, kept, replaced);
    }

    [Fact]
    public void Replace_segments_swaps_in_cleaned_batches_and_keeps_the_rest()
    {
        using var dir = new TempDirectory();
        List<long> expected;
        using (var log = PartitionLog.Open(dir.Path, Config))
        {
            for (var i = 0; i < 15; i++)
            {
                log.Append(Batch(2, 100), 0);
            }

            Assert.True(log.Segments.Count >= 4);
            var (path, kept, replaced) = Clean(log, dir.Path, 3);
            var untouched = Headers(ReadAll(log)).Where(h => h.BaseOffset >= log.Segments[3].BaseOffset).Select(h => h.BaseOffset);
            expected = [.. kept, .. untouched];

            log.ReplaceSegments(replaced, path);
            Assert.Equal(replaced[0], log.Segments[0].BaseOffset);
            Assert.Equal(expected, Headers(ReadAll(log)).Select(h => h.BaseOffset));

            // An offset removed by cleaning reads from the next batch that survived.
            var gap = kept[0] + 2; // batches hold two records; the second batch was dropped
            Assert.DoesNotContain(gap, kept);
            using var read = log.Read(gap, 1);
            Assert.Equal(kept.First(k => k > gap), read.FirstOffset);
        }

        using var reopened = PartitionLog.Open(dir.Path, Config);
        Assert.Equal(expected, Headers(ReadAll(reopened)).Select(h => h.BaseOffset));
    }

    [Fact]
    public void A_swap_file_left_by_a_crash_is_completed_on_open()
    {
        using var dir = new TempDirectory();
        List<long> expected;
        var log = PartitionLog.Open(dir.Path, Config);
        for (var i = 0; i < 15; i++)
        {
            log.Append(Batch(2, 100), 0);
        }

        var (path, kept, replaced) = Clean(log, dir.Path, 2);
        expected = [.. kept, .. Headers(ReadAll(log)).Where(h => h.BaseOffset >= log.Segments[2].BaseOffset).Select(h => h.BaseOffset)];
        log.Abandon();
        // The crash came right after the commit point: swap written, old segments still there.
        File.Move(path, LogSegment.FilePath(dir.Path, replaced[0], LogSegment.LogSuffix) + PartitionLog.SwapSuffix);

        using var reopened = PartitionLog.Open(dir.Path, Config);
        Assert.Equal(expected, Headers(ReadAll(reopened)).Select(h => h.BaseOffset));
        Assert.False(File.Exists(LogSegment.FilePath(dir.Path, replaced[1], LogSegment.LogSuffix)));
    }

    [Fact]
    public void Replace_segments_rejects_batches_outside_the_replaced_range()
    {
        using var dir = new TempDirectory();
        using var log = PartitionLog.Open(dir.Path, Config);
        for (var i = 0; i < 10; i++)
        {
            log.Append(Batch(2, 100), 0);
        }

        var outside = Batch(1);
        RecordBatch.SetBaseOffset(outside, log.Segments[1].BaseOffset + 1);
        var path = Path.Combine(dir.Path, "bad.cleaned");
        File.WriteAllBytes(path, outside);
        Assert.Throws<ArgumentException>(() => log.ReplaceSegments([log.Segments[0].BaseOffset], path));
        Assert.Throws<ArgumentException>(() => log.ReplaceSegments([log.Segments[^1].BaseOffset], path));
    }
}
