namespace Orleans.Kafka.EndToEnd;

/// <summary>One in-process broker shared by the tests of a class that need no restart.</summary>
public sealed class BrokerFixture : IAsyncLifetime
{
    private readonly TempDirectory _directory = new();
    private InProcessBroker? _broker;

    public InProcessBroker Broker => _broker ?? throw new InvalidOperationException("the broker has not started");
    public string BootstrapServers => Broker.BootstrapServers;

    public async Task InitializeAsync() => _broker = await InProcessBroker.StartAsync(_directory.Path);

    public async Task DisposeAsync()
    {
        if (_broker is not null) await _broker.DisposeAsync();
        _directory.Dispose();
    }
}
