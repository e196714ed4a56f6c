using Orleans.Kafka.Protocol;
using Orleans.Kafka.Topics;

namespace Orleans.Kafka.Grains.Topics;

/// <summary>The result of checking a set of config changes: the new overrides, or Kafka's error.</summary>
public sealed record ConfigEditResult(AdminResult Outcome, IReadOnlyDictionary<string, string> Overrides);

/// <summary>
/// Pure functions that turn CreateTopics / AlterConfigs / IncrementalAlterConfigs input into a new override set,
/// validated against <see cref="TopicConfigCatalog"/>. Nothing here touches grain state.
/// </summary>
public static class TopicConfigEditor
{
    private static readonly IReadOnlyDictionary<string, string> NoOverrides = new Dictionary<string, string>();

    /// <summary>CreateTopics configs and AlterConfigs: the given set becomes the whole override set.</summary>
    public static ConfigEditResult Replace(IReadOnlyDictionary<string, string?>? configs, KafkaErrorCode nullValueError)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (configs is null)
        {
            return Success(result);
        }

        var nulls = configs.Where(c => c.Value is null).Select(c => c.Key).Order(StringComparer.Ordinal).ToList();
        if (nulls.Count > 0)
        {
            return Failure(nullValueError, $"Null value not supported for topic configs: {string.Join(",", nulls)}");
        }

        foreach (var (name, value) in configs.OrderBy(c => c.Key, StringComparer.Ordinal))
        {
            if (!TopicConfigCatalog.TryGet(name, out var definition))
            {
                return Failure(KafkaErrorCode.InvalidConfig, TopicConfigCatalog.UnknownName(name));
            }

            var error = definition.Validate(value!);
            if (error is not null)
            {
                return Failure(KafkaErrorCode.InvalidConfig, error);
            }

            result[name] = definition.Normalize(value!);
        }

        return Success(result);
    }

    /// <summary>IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT applied in order to the current overrides.</summary>
    public static ConfigEditResult Apply(IReadOnlyDictionary<string, string> current, IReadOnlyList<ConfigAlteration>? alterations)
    {
        alterations ??= [];
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alteration in alterations)
        {
            if (!names.Add(alteration.Name))
            {
                return Failure(KafkaErrorCode.InvalidRequest, "Error due to duplicate config keys");
            }
        }

        var result = new Dictionary<string, string>(current, StringComparer.Ordinal);
        foreach (var alteration in alterations)
        {
            if (alteration.Name is null || !TopicConfigCatalog.TryGet(alteration.Name, out var definition))
            {
                return Failure(KafkaErrorCode.InvalidConfig, TopicConfigCatalog.UnknownName(alteration.Name));
            }

            var error = alteration.Op switch
            {
                AlterConfigOp.Set => Set(result, definition, alteration.Value),
                AlterConfigOp.Delete => Delete(result, definition),
                AlterConfigOp.Append => EditList(result, definition, alteration.Value, append: true),
                AlterConfigOp.Subtract => EditList(result, definition, alteration.Value, append: false),
                _ => new AdminResult(KafkaErrorCode.InvalidRequest, $"Unknown alter config operation {(sbyte)alteration.Op} for {alteration.Name}"),
            };
            if (error is not null)
            {
                return new ConfigEditResult(error, current);
            }
        }

        return Success(result);
    }

    private static AdminResult? Set(Dictionary<string, string> overrides, TopicConfigDefinition definition, string? value)
    {
        if (value is null)
        {
            return new AdminResult(KafkaErrorCode.InvalidRequest, $"Null value not supported for topic configs: {definition.Name}");
        }

        var error = definition.Validate(value);
        if (error is not null)
        {
            return new AdminResult(KafkaErrorCode.InvalidConfig, error);
        }

        overrides[definition.Name] = definition.Normalize(value);
        return null;
    }

    private static AdminResult? Delete(Dictionary<string, string> overrides, TopicConfigDefinition definition)
    {
        overrides.Remove(definition.Name);
        return null;
    }

    /// <summary>APPEND adds the items not yet present; SUBTRACT removes the given ones. Starts from the override, else the default.</summary>
    private static AdminResult? EditList(Dictionary<string, string> overrides, TopicConfigDefinition definition, string? value, bool append)
    {
        if (definition.Type != ConfigType.List)
        {
            var verb = append ? "append" : "subtract";
            return new AdminResult(KafkaErrorCode.InvalidConfig, $"Config value {verb} is not allowed for config key: {definition.Name}");
        }

        var items = TopicConfigDefinition.SplitList(
            overrides.TryGetValue(definition.Name, out var existing) ? existing : definition.DefaultValue).ToList();
        var changes = TopicConfigDefinition.SplitList(value ?? string.Empty);
        if (append)
        {
            items.AddRange(changes.Where(c => !items.Contains(c, StringComparer.Ordinal)).Distinct(StringComparer.Ordinal));
        }
        else
        {
            items.RemoveAll(i => changes.Contains(i, StringComparer.Ordinal));
        }

        var joined = string.Join(",", items);
        var error = definition.Validate(joined);
        if (error is not null)
        {
            return new AdminResult(KafkaErrorCode.InvalidConfig, error);
        }

        overrides[definition.Name] = joined;
        return null;
    }

    private static ConfigEditResult Success(IReadOnlyDictionary<string, string> overrides) => new(AdminResult.Ok, overrides);

    private static ConfigEditResult Failure(KafkaErrorCode code, string message) => new(new AdminResult(code, message), NoOverrides);
}
