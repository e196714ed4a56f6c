namespace Orleans.Kafka.Silo;

/// <summary>A clustering setting is missing or invalid; the message names the setting and how to fix it.</summary>
public sealed class ClusteringConfigurationException : Exception
{
    public ClusteringConfigurationException(string message) : base(message) { }

    public ClusteringConfigurationException(string message, Exception inner) : base(message, inner) { }

    public ClusteringConfigurationException() { }
}
