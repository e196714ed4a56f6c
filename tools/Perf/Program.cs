using Orleans.Kafka.Perf;

// The tool's wiring lives in PerfCommandLine; this file only hands it the arguments.
return await PerfCommandLine.Create().Parse(args).InvokeAsync();
