using Orleans.Kafka.Storage.GrainStorage;
using Orleans.Runtime;
using Orleans.Storage;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

public sealed class FileGrainStorageTests : IDisposable
{
    private static readonly GrainId Grain = GrainId.Create("topic", "orders-0");

    private readonly StorageHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    [Fact]
    public async Task Read_of_a_never_written_state_gives_a_fresh_state_without_record()
    {
        var state = new GrainState<TestState>();

        await _harness.Storage.ReadStateAsync("s", Grain, state);

        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.NotNull(state.State);
        Assert.Null(state.State!.Value);
    }

    [Fact]
    public async Task Written_state_reads_back_in_a_new_provider_with_the_same_etag()
    {
        var state = new GrainState<TestState>(new TestState { Value = "hello", Counter = 7 });
        await _harness.Storage.WriteStateAsync("s", Grain, state);

        var reread = new GrainState<TestState>();
        await _harness.CreateProvider().ReadStateAsync("s", Grain, reread);

        Assert.True(reread.RecordExists);
        Assert.Equal("hello", reread.State!.Value);
        Assert.Equal(7, reread.State!.Counter);
        Assert.Equal(state.ETag, reread.ETag);
        Assert.False(string.IsNullOrEmpty(reread.ETag));
    }

    [Fact]
    public async Task Each_write_gets_a_new_etag()
    {
        var state = new GrainState<TestState>(new TestState());
        await _harness.Storage.WriteStateAsync("s", Grain, state);
        var first = state.ETag;
        await _harness.Storage.WriteStateAsync("s", Grain, state);

        Assert.NotEqual(first, state.ETag);
    }

    [Fact]
    public async Task Write_with_a_stale_etag_throws_InconsistentStateException_and_keeps_the_newer_state()
    {
        var writer = new GrainState<TestState>(new TestState { Value = "v1" });
        await _harness.Storage.WriteStateAsync("s", Grain, writer);
        var stale = new GrainState<TestState>(new TestState { Value = "stale" }) { ETag = writer.ETag, RecordExists = true };
        writer.State!.Value = "v2";
        await _harness.Storage.WriteStateAsync("s", Grain, writer);

        var ex = await Assert.ThrowsAsync<InconsistentStateException>(() => _harness.Storage.WriteStateAsync("s", Grain, stale));

        Assert.Equal(writer.ETag, ex.StoredEtag);
        Assert.Equal(stale.ETag, ex.CurrentEtag);
        var reread = new GrainState<TestState>();
        await _harness.Storage.ReadStateAsync("s", Grain, reread);
        Assert.Equal("v2", reread.State!.Value);
    }

    [Fact]
    public async Task First_write_with_an_etag_when_no_record_exists_is_rejected()
    {
        var state = new GrainState<TestState>(new TestState()) { ETag = Guid.NewGuid().ToString("N") };

        await Assert.ThrowsAsync<InconsistentStateException>(() => _harness.Storage.WriteStateAsync("s", Grain, state));
    }

    [Fact]
    public async Task Second_first_write_without_etag_is_rejected()
    {
        await _harness.Storage.WriteStateAsync("s", Grain, new GrainState<TestState>(new TestState()));

        await Assert.ThrowsAsync<InconsistentStateException>(
            () => _harness.Storage.WriteStateAsync("s", Grain, new GrainState<TestState>(new TestState())));
    }

    [Fact]
    public async Task Clear_deletes_the_file_and_resets_the_state()
    {
        var state = new GrainState<TestState>(new TestState { Value = "x" });
        await _harness.Storage.WriteStateAsync("s", Grain, state);
        var path = _harness.Storage.GetFilePath("s", Grain);
        Assert.True(File.Exists(path));

        await _harness.Storage.ClearStateAsync("s", Grain, state);

        Assert.False(File.Exists(path));
        Assert.False(state.RecordExists);
        Assert.Null(state.ETag);
        Assert.Null(state.State!.Value);
        var reread = new GrainState<TestState>();
        await _harness.Storage.ReadStateAsync("s", Grain, reread);
        Assert.False(reread.RecordExists);
    }

    [Fact]
    public async Task Clear_with_a_stale_etag_throws_and_keeps_the_file()
    {
        var state = new GrainState<TestState>(new TestState { Value = "x" });
        await _harness.Storage.WriteStateAsync("s", Grain, state);
        var stale = new GrainState<TestState>(new TestState()) { ETag = "0123" };

        await Assert.ThrowsAsync<InconsistentStateException>(() => _harness.Storage.ClearStateAsync("s", Grain, stale));
        Assert.True(File.Exists(_harness.Storage.GetFilePath("s", Grain)));
    }

    [Fact]
    public async Task Writer_holding_an_etag_from_before_a_clear_cannot_overwrite_a_recreated_state()
    {
        var old = new GrainState<TestState>(new TestState { Value = "old" });
        await _harness.Storage.WriteStateAsync("s", Grain, old);
        var holder = new GrainState<TestState>(new TestState { Value = "late" }) { ETag = old.ETag };
        await _harness.Storage.ClearStateAsync("s", Grain, old);
        await _harness.Storage.WriteStateAsync("s", Grain, new GrainState<TestState>(new TestState { Value = "new" }));

        await Assert.ThrowsAsync<InconsistentStateException>(() => _harness.Storage.WriteStateAsync("s", Grain, holder));
    }

    [Fact]
    public async Task States_of_different_names_and_grains_do_not_collide()
    {
        GrainId[] grains = [GrainId.Create("t", "a/b"), GrainId.Create("t", "a%2Fb"), GrainId.Create("t", "a.b"), GrainId.Create("t", ".."), GrainId.Create("t/x", "b"), GrainId.Create("t", "ü€😀"), GrainId.Create("t", new string('k', 1000))];
        var values = new Dictionary<(string, GrainId), string>();
        foreach (var grain in grains)
        {
            foreach (var name in new[] { "s", "S", "s.tmp" })
            {
                var value = $"{grain}|{name}";
                values[(name, grain)] = value;
                await _harness.Storage.WriteStateAsync(name, grain, new GrainState<TestState>(new TestState { Value = value }));
            }
        }

        foreach (var ((name, grain), value) in values)
        {
            var state = new GrainState<TestState>();
            await _harness.Storage.ReadStateAsync(name, grain, state);
            Assert.Equal(value, state.State!.Value);
            Assert.StartsWith(_harness.Root, _harness.Storage.GetFilePath(name, grain), StringComparison.Ordinal);
        }

        var files = Directory.GetFiles(_harness.Root, "*", SearchOption.AllDirectories);
        Assert.Equal(values.Count, files.Length);
        Assert.All(files, f => Assert.True(Path.GetFileName(f).Length <= 255));
    }

    [Fact]
    public async Task Leftover_temp_files_from_a_crash_are_ignored_and_removed_at_start()
    {
        var state = new GrainState<TestState>(new TestState { Value = "good" });
        await _harness.Storage.WriteStateAsync("s", Grain, state);
        var path = _harness.Storage.GetFilePath("s", Grain);
        var good = await File.ReadAllBytesAsync(path);
        // What a kill -9 leaves: a temp fully written but never renamed, and a torn one.
        await File.WriteAllBytesAsync($"{path}.{Guid.NewGuid():N}.tmp", good);
        await File.WriteAllBytesAsync($"{path}.{Guid.NewGuid():N}.tmp", good[..(good.Length / 2)]);
        await File.WriteAllBytesAsync($"{path}.{Guid.NewGuid():N}.tmp", []);

        var reread = new GrainState<TestState>();
        await _harness.Storage.ReadStateAsync("s", Grain, reread);
        Assert.Equal("good", reread.State!.Value);
        Assert.Equal(state.ETag, reread.ETag);

        var restarted = _harness.CreateProvider(); // Initialize runs as at silo start
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "*.tmp"));
        reread = new GrainState<TestState>();
        await restarted.ReadStateAsync("s", Grain, reread);
        Assert.Equal("good", reread.State!.Value);
        reread.State!.Value = "after restart";
        await restarted.WriteStateAsync("s", Grain, reread);
    }

    [Fact]
    public async Task A_damaged_state_file_is_reported_not_silently_reset()
    {
        await _harness.Storage.WriteStateAsync("s", Grain, new GrainState<TestState>(new TestState { Value = "x" }));
        var path = _harness.Storage.GetFilePath("s", Grain);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 0xFF;
        await File.WriteAllBytesAsync(path, bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => _harness.Storage.ReadStateAsync("s", Grain, new GrainState<TestState>()));
    }

    [Fact]
    public async Task Concurrent_writers_with_the_same_etag_let_exactly_one_win()
    {
        var initial = new GrainState<TestState>(new TestState());
        await _harness.Storage.WriteStateAsync("s", Grain, initial);

        var writers = Enumerable.Range(0, 16)
            .Select(i => new GrainState<TestState>(new TestState { Value = $"w{i}" }) { ETag = initial.ETag, RecordExists = true })
            .ToArray();
        var results = await Task.WhenAll(writers.Select(async w =>
        {
            try
            {
                await _harness.Storage.WriteStateAsync("s", Grain, w);
                return true;
            }
            catch (InconsistentStateException)
            {
                return false;
            }
        }));

        Assert.Equal(1, results.Count(r => r));
        var winner = writers[Array.IndexOf(results, true)];
        var reread = new GrainState<TestState>();
        await _harness.Storage.ReadStateAsync("s", Grain, reread);
        Assert.Equal(winner.State!.Value, reread.State!.Value);
    }
}
