using Orleans.Kafka;

var app = BrokerHost.Build(args);
await app.RunAsync();
