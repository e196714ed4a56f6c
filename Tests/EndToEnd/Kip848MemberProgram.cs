using System.Globalization;
using Confluent.Kafka;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// Entry point of this test assembly when run as a process (the test SDK's generated Main is turned off in the csproj):
/// <c>dotnet Orleans.Kafka.EndToEnd.dll kip848-member BOOTSTRAP GROUP TOPIC</c> joins GROUP with group.protocol=consumer
/// and prints <c>owned N</c> after every assignment change, so <see cref="Kip848GroupMember"/> can SIGKILL it. Debian's
/// kcat links a librdkafka without KIP-848, and an in-process consumer always leaves the group when disposed; a child
/// process of this same assembly is the one member that can die without a word.
/// </summary>
public static class Kip848MemberProgram
{
    public const string Command = "kip848-member";

    public static int Main(string[] args)
    {
        if (args.Length != 4 || args[0] != Command)
        {
            Console.Error.WriteLine($"This is a test assembly; as a program it only runs '{Command} <bootstrap> <group> <topic>'.");
            return 2;
        }

        // The parent holds our stdin open; if it dies without killing us, EOF stops the member, and a deadline bounds
        // the run whatever happens.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        _ = Task.Run(async () =>
        {
            await Console.In.ReadToEndAsync();
            await stop.CancelAsync();
        });

        var owned = new HashSet<int>();
        var config = new ConsumerConfig
        {
            BootstrapServers = args[1],
            GroupId = args[2],
            ClientId = "e2e-kip848-victim",
            GroupProtocol = GroupProtocol.Consumer,
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SocketTimeoutMs = 30000,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, e) => Console.Error.WriteLine(e.ToString()))
            .SetPartitionsAssignedHandler((_, partitions) => Report(owned, partitions, assigned: true))
            .SetPartitionsRevokedHandler((_, partitions) => Report(owned, partitions.Select(p => p.TopicPartition), assigned: false))
            .SetPartitionsLostHandler((_, partitions) => Report(owned, partitions.Select(p => p.TopicPartition), assigned: false))
            .Build();
        consumer.Subscribe(args[3]);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                consumer.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e)
            {
                Console.Error.WriteLine(e.Error.ToString());
            }
        }

        consumer.Close();
        return 0;
    }

    /// <summary>Rebalance callbacks run on the polling thread, so the set needs no lock.</summary>
    private static void Report(HashSet<int> owned, IEnumerable<TopicPartition> partitions, bool assigned)
    {
        foreach (var partition in partitions)
        {
            if (assigned) owned.Add(partition.Partition.Value);
            else owned.Remove(partition.Partition.Value);
        }

        Console.Out.WriteLine("owned " + owned.Count.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
    }
}
