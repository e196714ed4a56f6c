namespace Orleans.Kafka.ProtocolGenerator;

/// <summary>Locates the repository (the folder holding Orleans.Kafka.sln) and the generator's default paths.</summary>
internal static class RepositoryRoot
{
    public static string? Find(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Kafka.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    public static string DefaultMessagesDirectory(string root) =>
        Path.GetFullPath(Path.Combine(root, "..", "shared", "kafka-protocol", "messages"));

    public static string DefaultOutputDirectory(string root) => Path.Combine(root, "Protocol", "Generated");
}
