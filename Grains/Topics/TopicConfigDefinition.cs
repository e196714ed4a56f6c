using System.Globalization;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>One Kafka topic-level config: its name, type, default, the broker setting it falls back to, and how values are checked.</summary>
public sealed class TopicConfigDefinition
{
    private readonly Func<string, string?>? _check;

    internal TopicConfigDefinition(
        string name, ConfigType type, string defaultValue, string? brokerSynonym, string documentation, Func<string, string?>? check = null)
    {
        Name = name;
        Type = type;
        DefaultValue = defaultValue;
        BrokerSynonym = brokerSynonym;
        Documentation = documentation;
        _check = check;
    }

    public string Name { get; }
    public ConfigType Type { get; }
    public string DefaultValue { get; }

    /// <summary>The broker-wide config that supplies this topic config's default (Kafka's synonym), if any.</summary>
    public string? BrokerSynonym { get; }

    public string Documentation { get; }

    /// <summary>Checks a value as Kafka's ConfigDef would; returns Kafka-shaped error text, or null when valid.</summary>
    public string? Validate(string value)
    {
        var typeError = CheckType(value);
        if (typeError is not null)
        {
            return Invalid(value, typeError);
        }

        var rule = _check?.Invoke(value);
        return rule is null ? null : Invalid(value, rule);
    }

    private string Invalid(string value, string reason) =>
        $"Invalid value {value} for configuration {Name}: {reason}";

    private string? CheckType(string value)
    {
        var trimmed = value.Trim();
        return Type switch
        {
            ConfigType.Int => int.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? null : "Not a number of type INT",
            ConfigType.Long => long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _)
                ? null : "Not a number of type LONG",
            ConfigType.Double => double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d)
                ? null : "Not a number of type DOUBLE",
            ConfigType.Boolean => bool.TryParse(trimmed, out _)
                ? null : "Expected value to be either true or false",
            _ => null,
        };
    }

    /// <summary>
    /// The form stored as an override: scalars trimmed (Kafka parses them trimmed), lists re-joined without blanks,
    /// so readers of <c>ConfigOverrides</c> can parse values with no further cleaning.
    /// </summary>
    public string Normalize(string value) => Type switch
    {
        ConfigType.List => string.Join(",", SplitList(value)),
        ConfigType.String or ConfigType.Password or ConfigType.Class => value,
        _ => value.Trim(),
    };

    /// <summary>Splits a list-type value as Kafka does: comma separated, trimmed, empty items dropped.</summary>
    public static IReadOnlyList<string> SplitList(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
