using System.Globalization;

namespace Orleans.Kafka.ProtocolGenerator;

/// <summary>An inclusive range of message versions as Kafka's JSON writes it: "0+", "3-7", "2", "none".</summary>
internal readonly record struct VersionRange(short Lowest, short Highest)
{
    public static readonly VersionRange None = new(1, 0);

    public static readonly VersionRange All = new(0, short.MaxValue);

    public bool IsEmpty => Lowest > Highest;

    public static VersionRange Parse(string? text)
    {
        if (text is null)
        {
            return None;
        }

        text = text.Trim();
        if (text.Length == 0 || text == "none")
        {
            return None;
        }

        if (text.EndsWith('+'))
        {
            return new(ParseVersion(text[..^1]), short.MaxValue);
        }

        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0)
        {
            return new(ParseVersion(text[..dash]), ParseVersion(text[(dash + 1)..]));
        }

        var single = ParseVersion(text);
        return new(single, single);
    }

    public VersionRange Intersect(VersionRange other)
    {
        var result = new VersionRange(Math.Max(Lowest, other.Lowest), Math.Min(Highest, other.Highest));
        return result.IsEmpty ? None : result;
    }

    public bool Contains(VersionRange other) => other.IsEmpty || (other.Lowest >= Lowest && other.Highest <= Highest);

    public override string ToString() =>
        IsEmpty ? "none" : Highest == short.MaxValue ? $"{Lowest}+" : Lowest == Highest ? $"{Lowest}" : $"{Lowest}-{Highest}";

    private static short ParseVersion(string text) =>
        short.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Invalid version '{text}'.");
}
