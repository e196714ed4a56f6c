using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;

namespace Orleans.Kafka.Silo;

/// <summary>
/// The web server of a silo without a Kafka listener (<c>Orleans:KafkaListener=false</c>): opens nothing. Without it the
/// host's Kestrel would fall back to its default http://localhost:5000 binding when no endpoint is configured.
/// </summary>
internal sealed class NoListenerServer : IServer
{
    public IFeatureCollection Features { get; } = new FeatureCollection();

    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose() { }
}
