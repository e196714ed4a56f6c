using System.Security.Cryptography;
using System.Text;
using Orleans.Runtime;

namespace Orleans.Kafka.Storage.GrainStorage;

/// <summary>
/// Maps (grain id, state name) to a path <c>{root}/{grain type}/{state name}/{key}.state</c>.
/// Each part is escaped reversibly: [A-Za-z0-9_-] stay, every other UTF-8 byte becomes %XX, so
/// distinct ids never share a file and no part can be "." or ".." or contain a separator.
/// Parts too long for a file name keep a readable prefix plus a SHA-256 of the whole part.
/// </summary>
internal static class GrainStateFileNames
{
    public const string StateExtension = ".state";

    public const string TempExtension = ".tmp";

    // Linux allows 255 bytes per name; leave room for the extensions and a temp suffix.
    private const int MaxPartLength = 200;

    public static string PathFor(string rootDirectory, string stateName, GrainId grainId)
    {
        var type = Escape(grainId.Type.ToString() ?? string.Empty);
        var state = Escape(stateName);
        var key = Escape(grainId.Key.ToString() ?? string.Empty);
        return Path.Combine(rootDirectory, type, state, key + StateExtension);
    }

    public static string Escape(string part)
    {
        var builder = new StringBuilder(part.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in part.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || rune.Value is '_' or '-'))
            {
                builder.Append((char)rune.Value);
                continue;
            }

            var length = rune.EncodeToUtf8(utf8);
            foreach (var b in utf8[..length])
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        if (builder.Length == 0)
        {
            return "%"; // an empty part still needs a name; "%" alone can't come from escaping
        }

        if (builder.Length <= MaxPartLength)
        {
            return builder.ToString();
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(part)));
        return string.Concat(builder.ToString(0, MaxPartLength - hash.Length - 1), "~", hash);
    }
}
