using System.Globalization;
using Orleans.Runtime;

namespace Orleans.Kafka.Storage.Tests.GrainStorage;

/// <summary>
/// Entry point of this test assembly when run as a process (the test SDK's generated Main is
/// turned off in the csproj). <c>dotnet Orleans.Kafka.Storage.Tests.dll grain-storage-crash-writer DIR</c>
/// writes a grain state in a loop and prints each counter value after its write returned, so
/// <see cref="FileGrainStorageCrashTests"/> can kill it with SIGKILL mid-write and check what survived.
/// </summary>
public static class CrashWriterProgram
{
    public const string Command = "grain-storage-crash-writer";

    public static readonly GrainId GrainId = GrainId.Create("crash", "writer");

    public const string StateName = "s";

    public static async Task<int> Main(string[] args)
    {
        if (args.Length != 2 || args[0] != Command)
        {
            await Console.Error.WriteLineAsync($"This is a test assembly; as a program it only runs '{Command} <directory>'.");
            return 2;
        }

        using var harness = new StorageHarness(args[1]);
        var state = new GrainState<TestState>(new TestState());
        await harness.Storage.ReadStateAsync(StateName, GrainId, state);

        // The parent holds our stdin open; if it dies without killing us, EOF stops the loop,
        // and a deadline bounds the run whatever happens.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        _ = Task.Run(async () =>
        {
            await Console.In.ReadToEndAsync();
            await stop.CancelAsync();
        });

        // Large enough that a kill often lands inside a write.
        state.State!.Padding = new byte[256 * 1024];
        while (!stop.IsCancellationRequested)
        {
            state.State!.Counter++;
            Array.Fill(state.State!.Padding, (byte)state.State!.Counter);
            await harness.Storage.WriteStateAsync(StateName, GrainId, state);
            await Console.Out.WriteLineAsync(state.State!.Counter.ToString(CultureInfo.InvariantCulture));
            await Console.Out.FlushAsync();
        }

        return 0;
    }
}
