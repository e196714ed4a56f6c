using System.Reflection;

namespace Orleans.Kafka.Protocol.Tests;

/// <summary>
/// Fills a generated message for one version: every field that version carries gets a
/// non-default value (or null, in null mode, where the version allows null), arrays get two
/// elements, nested structs are filled recursively, and flexible versions get an unknown
/// tagged field so its preservation is exercised too.
/// </summary>
internal sealed class MessageFiller(bool nullWhereAllowed)
{
    private int _counter;

    public static IReadOnlyList<Type> MessageTypes { get; } =
        [.. typeof(IKafkaMessage).Assembly.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsNested: false } && typeof(IKafkaMessage).IsAssignableFrom(t))
            .OrderBy(t => t.Name, StringComparer.Ordinal)];

    public static short FirstFlexibleVersion(Type messageType) =>
        (short)messageType.GetField("FirstFlexibleVersion")!.GetRawConstantValue()!;

    public static (short Lowest, short Highest) Versions(Type messageType)
    {
        var instance = Activator.CreateInstance(messageType)!;
        var lowest = (short)messageType.GetProperty("LowestSupportedVersion")!.GetValue(instance)!;
        var highest = (short)messageType.GetProperty("HighestSupportedVersion")!.GetValue(instance)!;
        return (lowest, highest);
    }

    public IKafkaMessage Create(Type messageType, short version)
    {
        var message = (IKafkaMessage)Activator.CreateInstance(messageType)!;
        Fill(message, version, version >= FirstFlexibleVersion(messageType));
        return message;
    }

    private void Fill(object target, short version, bool flexible)
    {
        foreach (var property in target.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var field = property.GetCustomAttribute<KafkaFieldAttribute>();
            if (field is null || !field.IsPresentIn(version))
            {
                continue;
            }

            if (nullWhereAllowed && field.IsNullableIn(version))
            {
                property.SetValue(target, null);
                continue;
            }

            property.SetValue(target, NewValue(property.PropertyType, property.GetValue(target), version, flexible));
        }

        if (flexible)
        {
            var unknown = target.GetType().GetProperty(nameof(MetadataRequest.UnknownTaggedFields))!;
            unknown.SetValue(target, new List<RawTaggedField> { new(1000 + (uint)Next(), [0x01, 0x02, (byte)Next()]) });
        }
    }

    private object NewValue(Type type, object? current, short version, bool flexible)
    {
        var n = Next();
        object candidate = type switch
        {
            _ when type == typeof(sbyte) => (sbyte)(n % 100 + 1),
            _ when type == typeof(short) => (short)(n + 100),
            _ when type == typeof(ushort) => (ushort)(n + 60000),
            _ when type == typeof(int) => n + 100_000,
            _ when type == typeof(uint) => (uint)n + 4_000_000_000u,
            _ when type == typeof(long) => n + 10_000_000_000L,
            _ when type == typeof(double) => n + 0.25,
            _ when type == typeof(bool) => !(bool)(current ?? false),
            _ when type == typeof(string) => $"s{n}-é",
            _ when type == typeof(Guid) => new Guid(n, 0x1234, 0x5678, [0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, (byte)n]),
            _ when type == typeof(byte[]) => new byte[] { 0xAB, (byte)n, 0xCD },
            _ when type == typeof(ReadOnlyMemory<byte>?) || type == typeof(ReadOnlyMemory<byte>) =>
                new ReadOnlyMemory<byte>([0x00, 0x01, (byte)n, 0xFF]),
            _ when type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) => NewList(type, version, flexible),
            _ when type.IsClass => NewStruct(type, version, flexible),
            _ => throw new NotSupportedException($"No filler for {type}."),
        };

        // A numeric default could coincide with the candidate; shift it so the value is non-default.
        if (candidate.Equals(current) && type != typeof(bool))
        {
            return NewValue(type, current, version, flexible);
        }

        return candidate;
    }

    private object NewList(Type listType, short version, bool flexible)
    {
        var list = (System.Collections.IList)Activator.CreateInstance(listType)!;
        var elementType = listType.GetGenericArguments()[0];
        for (var i = 0; i < 2; i++)
        {
            list.Add(NewValue(elementType, null, version, flexible));
        }

        return list;
    }

    private object NewStruct(Type type, short version, bool flexible)
    {
        var instance = Activator.CreateInstance(type)!;
        Fill(instance, version, flexible);
        return instance;
    }

    private int Next() => ++_counter;
}
