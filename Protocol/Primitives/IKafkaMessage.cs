namespace Orleans.Kafka.Protocol;

/// <summary>Anything encoded with Kafka's versioned message schema: a request, response, header or data record.</summary>
public interface IKafkaMessage
{
    /// <summary>Replaces this object's contents with the message decoded at <paramref name="version"/>.</summary>
    void Read(ref KafkaReader reader, short version);

    /// <summary>Encodes this message at <paramref name="version"/>.</summary>
    void Write(KafkaWriter writer, short version);
}

/// <summary>A request or response body of one Kafka API.</summary>
public interface IApiMessage : IKafkaMessage
{
    ApiKey ApiKey { get; }

    short LowestSupportedVersion { get; }

    short HighestSupportedVersion { get; }
}

/// <summary>A request body (after the request header).</summary>
public interface IRequest : IApiMessage
{
}

/// <summary>A response body (after the response header).</summary>
public interface IResponse : IApiMessage
{
}
