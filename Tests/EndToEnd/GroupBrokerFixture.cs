namespace Orleans.Kafka.EndToEnd;

/// <summary>An in-process broker for consumer-group tests: the first rebalance of a new group does not wait.</summary>
public sealed class GroupBrokerFixture : IAsyncLifetime
{
    /// <summary>Kafka's 3 s initial delay only slows tests that start members one after another.</summary>
    public static readonly string[] Args = ["--Kafka:group.initial.rebalance.delay.ms=0"];

    private readonly TempDirectory _directory = new();
    private InProcessBroker? _broker;

    public InProcessBroker Broker => _broker ?? throw new InvalidOperationException("the broker has not started");

    public string BootstrapServers => Broker.BootstrapServers;

    public async Task InitializeAsync() => _broker = await InProcessBroker.StartAsync(_directory.Path, null, Args);

    public async Task DisposeAsync()
    {
        if (_broker is not null) await _broker.DisposeAsync();
        _directory.Dispose();
    }
}
