using Orleans.Kafka.Silo;

return await SiloCommandLine.RunAsync(args);
