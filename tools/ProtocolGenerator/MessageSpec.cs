using System.Text.Json;

namespace Orleans.Kafka.ProtocolGenerator;

/// <summary>One Kafka JSON message definition (request, response, header or data).</summary>
internal sealed class MessageSpec
{
    public required string Name { get; init; }

    /// <summary>"request", "response", "header" or "data".</summary>
    public required string Type { get; init; }

    public short? ApiKey { get; init; }

    public required VersionRange ValidVersions { get; init; }

    public required VersionRange FlexibleVersions { get; init; }

    public required List<FieldSpec> Fields { get; init; }

    /// <summary>Every struct of the message (inline and common), in definition order.</summary>
    public required List<StructSpec> Structs { get; init; }

    public required string FileName { get; init; }

    public bool IsApiMessage => Type is "request" or "response";

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static MessageSpec Load(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path), JsonOptions);
        var root = document.RootElement;
        var name = root.GetProperty("name").GetString() ?? throw new InvalidDataException($"{path}: no name.");
        var valid = VersionRange.Parse(root.GetProperty("validVersions").GetString());
        var flexible = root.TryGetProperty("flexibleVersions", out var flex) ? VersionRange.Parse(flex.GetString()) : VersionRange.None;

        var structs = new List<StructSpec>();
        var commonNames = new Dictionary<string, StructSpec>(StringComparer.Ordinal);
        if (root.TryGetProperty("commonStructs", out var common))
        {
            foreach (var element in common.EnumerateArray())
            {
                var structName = element.GetProperty("name").GetString()!;
                commonNames[structName] = new StructSpec { Name = structName, Fields = [] };
            }
        }

        var parser = new FieldParser(path, commonNames, structs);
        var fields = parser.ParseFields(root.GetProperty("fields"));
        if (root.TryGetProperty("commonStructs", out common))
        {
            foreach (var element in common.EnumerateArray())
            {
                var spec = commonNames[element.GetProperty("name").GetString()!];
                spec.Fields.AddRange(parser.ParseFields(element.GetProperty("fields")));
                parser.Register(spec);
            }
        }

        return new MessageSpec
        {
            Name = name,
            Type = root.GetProperty("type").GetString()!,
            ApiKey = root.TryGetProperty("apiKey", out var key) ? key.GetInt16() : null,
            ValidVersions = valid,
            FlexibleVersions = flexible,
            Fields = fields,
            Structs = structs,
            FileName = Path.GetFileName(path),
        };
    }

    private sealed class FieldParser(string path, Dictionary<string, StructSpec> common, List<StructSpec> structs)
    {
        private readonly HashSet<string> _defined = new(StringComparer.Ordinal);

        public void Register(StructSpec spec)
        {
            if (!_defined.Add(spec.Name))
            {
                throw new InvalidDataException($"{path}: struct {spec.Name} is defined twice.");
            }

            structs.Add(spec);
        }

        public List<FieldSpec> ParseFields(JsonElement array)
        {
            var fields = new List<FieldSpec>();
            foreach (var element in array.EnumerateArray())
            {
                fields.Add(ParseField(element));
            }

            return fields;
        }

        private FieldSpec ParseField(JsonElement element)
        {
            var name = element.GetProperty("name").GetString()!;
            var typeText = element.GetProperty("type").GetString()!;
            var isArray = typeText.StartsWith("[]", StringComparison.Ordinal);
            var baseName = isArray ? typeText[2..] : typeText;
            var type = FieldType.Primitive(baseName);
            if (type is null)
            {
                StructSpec spec;
                if (element.TryGetProperty("fields", out var nested))
                {
                    spec = new StructSpec { Name = baseName, Fields = [] };
                    Register(spec);
                    spec.Fields.AddRange(ParseFields(nested));
                }
                else if (!common.TryGetValue(baseName, out spec!))
                {
                    throw new InvalidDataException($"{path}: field {name} refers to unknown struct {baseName}.");
                }

                type = FieldType.Struct(spec);
            }

            if (isArray)
            {
                type = FieldType.Array(type);
            }

            return new FieldSpec
            {
                Name = name,
                Type = type,
                Versions = VersionRange.Parse(GetString(element, "versions")),
                NullableVersions = VersionRange.Parse(GetString(element, "nullableVersions")),
                TaggedVersions = VersionRange.Parse(GetString(element, "taggedVersions")),
                FlexibleVersions = GetString(element, "flexibleVersions") is { } flexible ? VersionRange.Parse(flexible) : null,
                Tag = element.TryGetProperty("tag", out var tag) ? ParseTag(tag) : null,
                Ignorable = element.TryGetProperty("ignorable", out var ignorable) && ignorable.GetBoolean(),
                Default = element.TryGetProperty("default", out var value) ? DefaultText(value) : null,
                About = GetString(element, "about"),
            };
        }

        private static int ParseTag(JsonElement tag) =>
            tag.ValueKind == JsonValueKind.String
                ? int.Parse(tag.GetString()!, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture)
                : tag.GetInt32();

        private static string? GetString(JsonElement element, string property) =>
            element.TryGetProperty(property, out var value) ? value.GetString() : null;

        private static string DefaultText(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            JsonValueKind.Null => "null",
            _ => value.GetRawText(),
        };
    }
}

/// <summary>A struct type of a message: an array element or nested object, emitted as a nested class.</summary>
internal sealed class StructSpec
{
    public required string Name { get; init; }

    public required List<FieldSpec> Fields { get; init; }

    /// <summary>C# class name; differs from <see cref="Name"/> only to avoid a clash with a member name.</summary>
    public string ClassName { get; set; } = "";
}

/// <summary>One field of a message or struct.</summary>
internal sealed class FieldSpec
{
    public required string Name { get; init; }

    public required FieldType Type { get; init; }

    public required VersionRange Versions { get; init; }

    public required VersionRange NullableVersions { get; init; }

    public required VersionRange TaggedVersions { get; init; }

    /// <summary>Overrides the message's flexible versions for this field (RequestHeader.ClientId: "none").</summary>
    public VersionRange? FlexibleVersions { get; init; }

    public int? Tag { get; init; }

    public bool Ignorable { get; init; }

    public string? Default { get; init; }

    public string? About { get; init; }

    public bool IsNullableSomewhere => !NullableVersions.IsEmpty;
}

internal enum TypeKind
{
    Bool,
    Int8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    Float64,
    String,
    Uuid,
    Bytes,
    Records,
    Array,
    Struct,
}

/// <summary>A field's type: a primitive, an array of a type, or a struct.</summary>
internal sealed class FieldType
{
    private FieldType(TypeKind kind, FieldType? element = null, StructSpec? structSpec = null)
    {
        Kind = kind;
        Element = element;
        StructSpec = structSpec;
    }

    public TypeKind Kind { get; }

    public FieldType? Element { get; }

    public StructSpec? StructSpec { get; }

    public bool IsNumeric => Kind is TypeKind.Int8 or TypeKind.Int16 or TypeKind.UInt16 or TypeKind.Int32
        or TypeKind.UInt32 or TypeKind.Int64 or TypeKind.Float64;

    public static FieldType Array(FieldType element) => new(TypeKind.Array, element);

    public static FieldType Struct(StructSpec spec) => new(TypeKind.Struct, structSpec: spec);

    public static FieldType? Primitive(string name) => name switch
    {
        "bool" => new(TypeKind.Bool),
        "int8" => new(TypeKind.Int8),
        "int16" => new(TypeKind.Int16),
        "uint16" => new(TypeKind.UInt16),
        "int32" => new(TypeKind.Int32),
        "uint32" => new(TypeKind.UInt32),
        "int64" => new(TypeKind.Int64),
        "float64" => new(TypeKind.Float64),
        "string" => new(TypeKind.String),
        "uuid" => new(TypeKind.Uuid),
        "bytes" => new(TypeKind.Bytes),
        "records" => new(TypeKind.Records),
        _ => null,
    };
}
