using Microsoft.Extensions.DependencyInjection;
using Orleans.Kafka.Cluster;
using Orleans.Kafka.Groups;

namespace Orleans.Kafka.Grains.Groups;

public sealed partial class ConsumerGroupGrain
{
    /// <summary>
    /// Read from the activation's services rather than injected: silos without a log.dirs identity (test clusters)
    /// register no <see cref="ISiloIdentity"/>, and the answer is then null.
    /// </summary>
    public Task<int?> GetHostSiloId() => Task.FromResult(ServiceProvider.GetService<ISiloIdentity>()?.SiloId);
}
