using System.Collections;
using System.Reflection;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>Compares two decoded messages field by field (for the fields a version carries), naming the first difference.</summary>
internal static class MessageComparer
{
    public static string? FirstDifference(object expected, object actual, short version, string path = "")
    {
        foreach (var property in expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var field = property.GetCustomAttribute<KafkaFieldAttribute>();
            var isUnknownTags = property.Name == nameof(MetadataRequest.UnknownTaggedFields);
            if (!isUnknownTags && (field is null || !field.IsPresentIn(version)))
            {
                continue;
            }

            var difference = ValueDifference(property.GetValue(expected), property.GetValue(actual), version, $"{path}.{property.Name}");
            if (difference is not null)
            {
                return difference;
            }
        }

        return null;
    }

    private static string? ValueDifference(object? expected, object? actual, short version, string path)
    {
        switch (expected, actual)
        {
            case (null, null):
                return null;
            case (null, _) or (_, null):
                return $"{path}: expected {expected ?? "null"}, got {actual ?? "null"}";
            case (byte[] e, byte[] a):
                return e.AsSpan().SequenceEqual(a) ? null : $"{path}: bytes differ";
            case (ReadOnlyMemory<byte> e, ReadOnlyMemory<byte> a):
                return e.Span.SequenceEqual(a.Span) ? null : $"{path}: records differ";
            case (RawTaggedField e, RawTaggedField a):
                return e.Tag == a.Tag && e.Data.AsSpan().SequenceEqual(a.Data) ? null : $"{path}: tagged field differs";
            case (string or Guid or bool or sbyte or short or ushort or int or uint or long or double, _):
                return expected.Equals(actual) ? null : $"{path}: expected {expected}, got {actual}";
            case (IList e, IList a):
                if (e.Count != a.Count)
                {
                    return $"{path}: expected {e.Count} elements, got {a.Count}";
                }

                for (var i = 0; i < e.Count; i++)
                {
                    var difference = ValueDifference(e[i], a[i], version, $"{path}[{i}]");
                    if (difference is not null)
                    {
                        return difference;
                    }
                }

                return null;
            default:
                return FirstDifference(expected, actual, version, path);
        }
    }
}
