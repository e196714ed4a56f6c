using Orleans.Kafka;
using Orleans.Kafka.Silo;

// "gateway" runs a stateless Kafka gateway (an Orleans client of the cluster); anything else goes to the broker commands.
if (GatewayHost.IsGatewayMode(args, out var rest))
{
    await using var gateway = GatewayHost.Build(rest);
    await gateway.RunAsync();
    return 0;
}

return await SiloCommandLine.RunAsync(args);
