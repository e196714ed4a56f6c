namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// Authorized-operation bitfields as Kafka reports them without an authorizer: every operation the
/// resource type supports (AclEntry.supportedOperations), one bit per AclOperation code.
/// </summary>
internal static class AuthorizedOperations
{
    /// <summary>The value Kafka sends when the client did not ask for authorized operations.</summary>
    public const int NotRequested = int.MinValue;

    private const int Read = 3, Write = 4, Create = 5, Delete = 6, Alter = 7, Describe = 8,
        ClusterAction = 9, DescribeConfigs = 10, AlterConfigs = 11, IdempotentWrite = 12;

    /// <summary>READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS.</summary>
    public const int Topic = (1 << Read) | (1 << Write) | (1 << Create) | (1 << Delete) | (1 << Alter)
        | (1 << Describe) | (1 << DescribeConfigs) | (1 << AlterConfigs);

    /// <summary>CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE.</summary>
    public const int Cluster = (1 << Create) | (1 << Alter) | (1 << Describe) | (1 << ClusterAction)
        | (1 << DescribeConfigs) | (1 << AlterConfigs) | (1 << IdempotentWrite);
}
