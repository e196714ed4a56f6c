namespace Orleans.Kafka.Grains.Topics;

/// <summary>Kafka's topic name rules (INVALID_TOPIC_EXCEPTION), with Kafka's messages.</summary>
public static class TopicNames
{
    public const int MaxLength = 249;

    /// <summary>Returns why <paramref name="name"/> is not a legal topic name, or null when it is.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "Topic name is illegal, it can't be empty";
        }

        if (name is "." or "..")
        {
            return "Topic name cannot be \".\" or \"..\"";
        }

        if (name.Length > MaxLength)
        {
            return $"Topic name is illegal, it can't be longer than {MaxLength} characters, topic name: {name}";
        }

        foreach (var c in name)
        {
            if (!IsLegal(c))
            {
                return $"Topic name \"{name}\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'";
            }
        }

        return null;
    }

    /// <summary>
    /// Kafka's metric names turn '.' into '_', so two topics differing only there would collide;
    /// Kafka refuses to create the second one. This is the name both map to.
    /// </summary>
    public static string CollisionKey(string name) => name.Replace('.', '_');

    /// <summary>Kafka's internal topics (group offsets, transaction state): Metadata flags them is_internal.</summary>
    public static bool IsInternal(string name) => name is "__consumer_offsets" or "__transaction_state";

    private static bool IsLegal(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-';
}
