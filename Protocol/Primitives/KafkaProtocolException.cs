namespace Orleans.Kafka.Protocol;

/// <summary>
/// Malformed or unrepresentable Kafka protocol data: truncated input, an invalid length or varint,
/// a null where the version forbids it, or a field the target version cannot carry.
/// </summary>
public class KafkaProtocolException : Exception
{
    public KafkaProtocolException()
        : base("Invalid Kafka protocol data.")
    {
    }

    public KafkaProtocolException(string message)
        : base(message)
    {
    }

    public KafkaProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>A field that is not nullable in <paramref name="version"/> holds null.</summary>
    public static KafkaProtocolException NullField(string field, short version) =>
        new($"Field {field} is null, but it is not nullable in version {version}.");

    /// <summary>A non-ignorable field holds a non-default value the version cannot carry (Kafka's rule).</summary>
    public static KafkaProtocolException UnsupportedField(string field, short version) =>
        new($"Field {field} has a non-default value, but version {version} does not support it.");

    /// <summary>A message was asked to read or write a version outside its valid range.</summary>
    public static KafkaProtocolException UnsupportedVersion(string message, short version, short lowest, short highest) =>
        new($"{message} does not support version {version} (valid versions {lowest}-{highest}).");
}
