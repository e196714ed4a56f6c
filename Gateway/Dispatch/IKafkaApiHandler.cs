using Orleans.Kafka.Protocol;

namespace Orleans.Kafka.Gateway.Dispatch;

/// <summary>
/// Serves one Kafka API. Register implementations in DI (<c>services.AddKafkaApiHandler&lt;T&gt;()</c>);
/// the dispatcher routes requests to them and ApiVersions advertises exactly their version ranges
/// (intersected with what the protocol library can parse).
/// </summary>
public interface IKafkaApiHandler
{
    ApiKey ApiKey { get; }

    /// <summary>Lowest request version implemented in substance.</summary>
    short MinVersion { get; }

    /// <summary>Highest request version implemented in substance.</summary>
    short MaxVersion { get; }

    /// <summary>
    /// Handles one decoded request. Returns the response body, or null when Kafka sends no response
    /// (Produce with acks=0). The request's memory (e.g. record slices) is valid until the returned
    /// task completes and must not be kept beyond it. An exception closes the client's connection.
    /// </summary>
    ValueTask<IResponse?> HandleAsync(KafkaRequestContext context, IRequest request, short version, CancellationToken cancellationToken);
}

/// <summary>Typed base for <see cref="IKafkaApiHandler"/>: casts the request and response once here.</summary>
public abstract class KafkaApiHandler<TRequest, TResponse> : IKafkaApiHandler
    where TRequest : class, IRequest
    where TResponse : class, IResponse
{
    public abstract ApiKey ApiKey { get; }

    public abstract short MinVersion { get; }

    public abstract short MaxVersion { get; }

    async ValueTask<IResponse?> IKafkaApiHandler.HandleAsync(KafkaRequestContext context, IRequest request, short version, CancellationToken cancellationToken)
    {
        if (request is not TRequest typed)
        {
            throw new InvalidOperationException($"{GetType().Name} expects {typeof(TRequest).Name} but got {request.GetType().Name}.");
        }

        return await HandleAsync(context, typed, version, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc cref="IKafkaApiHandler.HandleAsync"/>
    protected abstract ValueTask<TResponse?> HandleAsync(KafkaRequestContext context, TRequest request, short version, CancellationToken cancellationToken);
}
