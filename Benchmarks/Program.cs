using BenchmarkDotNet.Running;
using Orleans.Kafka.Benchmarks.Storage;

// `quick [MiB per op] [rounds]`: Stopwatch comparison table; anything else goes to BenchmarkDotNet
// (e.g. `--filter '*Append*'`).
if (args.Length > 0 && args[0] == "quick")
{
    return QuickRunner.Run(args[1..]);
}

BenchmarkSwitcher.FromAssembly(typeof(Workload).Assembly).Run(args);
return 0;
