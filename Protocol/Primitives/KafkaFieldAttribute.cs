namespace Orleans.Kafka.Protocol;

/// <summary>
/// Schema facts of a generated message property, from Kafka's JSON definition: the versions that
/// carry the field and those in which it may be null. Lets tests and tools reason about versions
/// without the JSON files.
/// </summary>
[AttributeUsage(AttributeTargets.Property, AllowMultiple = false, Inherited = false)]
public sealed class KafkaFieldAttribute : Attribute
{
    public KafkaFieldAttribute(short lowestVersion, short highestVersion)
    {
        LowestVersion = lowestVersion;
        HighestVersion = highestVersion;
    }

    /// <summary>First version carrying the field (greater than <see cref="HighestVersion"/> when none does).</summary>
    public short LowestVersion { get; }

    /// <summary>Last version carrying the field.</summary>
    public short HighestVersion { get; }

    /// <summary>First version in which the field may be null; -1 when never nullable.</summary>
    public short NullableLowestVersion { get; set; } = -1;

    /// <summary>Last version in which the field may be null; -1 when never nullable.</summary>
    public short NullableHighestVersion { get; set; } = -1;

    /// <summary>The tag when the field is a tagged field; -1 otherwise.</summary>
    public int Tag { get; set; } = -1;

    public bool IsPresentIn(short version) => version >= LowestVersion && version <= HighestVersion;

    public bool IsNullableIn(short version) =>
        NullableLowestVersion >= 0 && version >= NullableLowestVersion && version <= NullableHighestVersion;
}
