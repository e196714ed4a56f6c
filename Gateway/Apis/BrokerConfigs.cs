using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Orleans.Kafka.Gateway.Hosting;
using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Gateway.Apis;

/// <summary>
/// This broker's configuration as DescribeConfigs shows it for a BROKER resource: every <see cref="BrokerOptions"/>
/// setting under its Kafka name, static (read-only) when set and Kafka's default source when left at its default.
/// There are no dynamic broker configs, so AlterConfigs on a broker is refused.
/// </summary>
internal sealed class BrokerConfigs
{
    private readonly BrokerEndpoint _endpoint;
    private readonly IReadOnlyList<ConfigEntry> _entries;

    public BrokerConfigs(IOptions<BrokerOptions> options, BrokerEndpoint endpoint)
    {
        _endpoint = endpoint;
        var current = options.Value;
        var defaults = new BrokerOptions();
        var entries = new List<ConfigEntry>();
        foreach (var property in typeof(BrokerOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetCustomAttribute<ConfigurationKeyNameAttribute>() is not { } key)
            {
                continue;
            }

            var value = Format(property.GetValue(current));
            var defaultValue = Format(property.GetValue(defaults));
            var source = value == defaultValue ? ConfigSource.DefaultConfig : ConfigSource.StaticBrokerConfig;
            entries.Add(Entry(key.Name, value, source, TypeOf(property.PropertyType), defaultValue));
        }

        // broker.id is the older name of node.id; clients still ask for it.
        entries.Add(Entry("broker.id", Format(current.NodeId), current.NodeId == defaults.NodeId ? ConfigSource.DefaultConfig : ConfigSource.StaticBrokerConfig, ConfigType.Int, Format(defaults.NodeId)));
        _entries = [.. entries.OrderBy(e => e.Name, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Validates a BROKER resource name as Kafka does: empty means the cluster-wide dynamic defaults (none here),
    /// otherwise it must be this broker's id.
    /// </summary>
    public AdminResult CheckResourceName(string name, out bool clusterDefault)
    {
        clusterDefault = name.Length == 0;
        if (clusterDefault)
        {
            return AdminResult.Ok;
        }

        if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var brokerId))
        {
            return new AdminResult(KafkaErrorCode.InvalidRequest, $"Broker id must be an integer, but it is: {name}");
        }

        return brokerId == _endpoint.NodeId
            ? AdminResult.Ok
            : new AdminResult(KafkaErrorCode.InvalidRequest, $"Unexpected broker id, expected {_endpoint.NodeId} or empty string, but received {name}");
    }

    /// <summary>The entries named in <paramref name="keys"/> (all when null); unknown names are left out, as in Kafka.</summary>
    public IEnumerable<ConfigEntry> Describe(IReadOnlyCollection<string>? keys, bool includeSynonyms) =>
        _entries
            .Where(e => keys is null || keys.Contains(e.Name))
            .Select(e => includeSynonyms ? e : e with { Synonyms = [] });

    private static ConfigEntry Entry(string name, string? value, ConfigSource source, ConfigType type, string? defaultValue)
    {
        // Synonyms list the value's sources in precedence order: the static setting, then Kafka's default.
        List<ConfigSynonym> synonyms = [new(name, value, source)];
        if (source != ConfigSource.DefaultConfig)
        {
            synonyms.Add(new(name, defaultValue, ConfigSource.DefaultConfig));
        }

        return new ConfigEntry(name, value, ReadOnly: true, source, IsSensitive: false, synonyms, type, Documentation: null);
    }

    private static string? Format(object? value) => value switch
    {
        null => null,
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static ConfigType TypeOf(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(bool) => ConfigType.Boolean,
        var t when t == typeof(short) => ConfigType.Short,
        var t when t == typeof(int) => ConfigType.Int,
        var t when t == typeof(long) => ConfigType.Long,
        _ => ConfigType.String,
    };
}
