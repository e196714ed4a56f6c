using Orleans.Kafka.ProtocolGenerator;

// Usage: dotnet run --project tools/ProtocolGenerator -- [messagesDir] [outputDir]
// Defaults (relative to the repository root, found by walking up to Orleans.Kafka.sln):
// ../shared/kafka-protocol/messages and Protocol/Generated.
string messages;
string output;
if (args.Length == 2)
{
    messages = args[0];
    output = args[1];
}
else if (args.Length == 0)
{
    var root = RepositoryRoot.Find(Directory.GetCurrentDirectory())
        ?? RepositoryRoot.Find(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("Orleans.Kafka.sln not found above the current directory; pass <messagesDir> <outputDir>.");
    messages = RepositoryRoot.DefaultMessagesDirectory(root);
    output = RepositoryRoot.DefaultOutputDirectory(root);
}
else
{
    await Console.Error.WriteLineAsync("Usage: Orleans.Kafka.ProtocolGenerator [<messagesDir> <outputDir>]");
    return 2;
}

if (!Directory.Exists(messages))
{
    await Console.Error.WriteLineAsync($"Message definitions not found: {messages}");
    return 1;
}

var count = ProtocolCodeGenerator.WriteTo(messages, output);
Console.WriteLine($"Wrote {count} files to {Path.GetFullPath(output)}");
return 0;
