using BenchmarkDotNet.Running;
using Orleans.Kafka.Benchmarks.Storage;

// `quick [MiB per op] [rounds]`: Stopwatch comparison table; `quick-compact [MiB] [keys]`: one cleaning pass; anything else goes to BenchmarkDotNet
// (e.g. `--filter '*Append*'`).
if (args.Length > 0 && args[0] == "quick-compact")
{
    return CompactionQuick.Run(args[1..]);
}

if (args.Length > 0 && args[0] == "quick")
{
    return QuickRunner.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Workload).Assembly).Run(args);
return 0;
