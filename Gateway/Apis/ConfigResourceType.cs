namespace Orleans.Kafka.Gateway.Apis;

/// <summary>Kafka's config resource types (ConfigResource.Type), numbered as on the wire.</summary>
internal enum ConfigResourceType : sbyte
{
    Unknown = 0,
    Topic = 2,
    Broker = 4,
    BrokerLogger = 8,
    ClientMetrics = 16,
    Group = 32,
}
