namespace Orleans.Kafka.ProtocolGenerator;

/// <summary>Turns a folder of Kafka message definitions into C# source files (name → text), deterministically.</summary>
internal static class ProtocolCodeGenerator
{
    public static SortedDictionary<string, string> Generate(string messagesDirectory)
    {
        var files = Directory.GetFiles(messagesDirectory, "*.json");
        Array.Sort(files, StringComparer.Ordinal);
        var messages = files.Select(MessageSpec.Load).ToList();

        var output = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var message in messages)
        {
            output.Add(message.Name + ".cs", MessageEmitter.Emit(message));
        }

        var apis = PairApis(messages);
        output.Add("ApiKey.cs", RegistryEmitter.EmitApiKey(apis));
        output.Add("ApiMessageTypes.cs", RegistryEmitter.EmitApiMessageTypes(apis));
        return output;
    }

    /// <summary>Writes the files and removes stale .cs files from <paramref name="outputDirectory"/>; returns how many were written.</summary>
    public static int WriteTo(string messagesDirectory, string outputDirectory)
    {
        var output = Generate(messagesDirectory);
        Directory.CreateDirectory(outputDirectory);
        foreach (var stale in Directory.GetFiles(outputDirectory, "*.cs"))
        {
            if (!output.ContainsKey(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }

        foreach (var (name, text) in output)
        {
            File.WriteAllText(Path.Combine(outputDirectory, name), text);
        }

        return output.Count;
    }

    private static List<ApiPair> PairApis(List<MessageSpec> messages)
    {
        var requests = messages.Where(m => m.Type == "request").ToDictionary(m => m.ApiKey!.Value);
        var responses = messages.Where(m => m.Type == "response").ToDictionary(m => m.ApiKey!.Value);
        var apis = new List<ApiPair>();
        foreach (var (key, request) in requests.OrderBy(p => p.Key))
        {
            if (!responses.TryGetValue(key, out var response))
            {
                throw new InvalidDataException($"{request.FileName}: no response definition for API key {key}.");
            }

            if (request.ValidVersions != response.ValidVersions || request.FlexibleVersions != response.FlexibleVersions)
            {
                throw new InvalidDataException($"{request.FileName}: request and response versions differ.");
            }

            var name = MessageEmitter.ApiKeyName(request);
            if (response.Name != name + "Response")
            {
                throw new InvalidDataException($"{response.FileName}: expected {name}Response.");
            }

            var flexible = request.FlexibleVersions.IsEmpty ? short.MaxValue : request.FlexibleVersions.Lowest;
            apis.Add(new ApiPair(name, key, request.ValidVersions.Lowest, request.ValidVersions.Highest, flexible));
        }

        return apis;
    }
}
