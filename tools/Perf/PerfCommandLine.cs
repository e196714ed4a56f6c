using System.CommandLine;
using System.CommandLine.Parsing;

namespace Orleans.Kafka.Perf;

/// <summary>The <c>perf</c> command tree: produce, consume, baseline, suite.</summary>
internal static class PerfCommandLine
{
    public static RootCommand Create() => new("Kafka perf tool: producer/consumer throughput and latency against a loopback-socket baseline.")
    {
        new ProduceCommand(),
        new ConsumeCommand(),
        new BaselineCommand(),
        new SuiteCommand(),
    };

    public static Option<string> Bootstrap() => new("--bootstrap")
    {
        Description = "Kafka bootstrap servers (host:port[,host:port]).",
        DefaultValueFactory = _ => "127.0.0.1:9092",
    };

    public static Option<string> Topic() => new("--topic")
    {
        Description = "Topic to produce to / consume from.",
        DefaultValueFactory = _ => "perf",
    };

    public static Option<long> Records(long defaultValue) => Positive(new Option<long>("--records")
    {
        Description = "Number of records.",
        DefaultValueFactory = _ => defaultValue,
    });

    public static Option<int> RecordSize() => Positive(new Option<int>("--record-size")
    {
        Description = "Record value size in bytes.",
        DefaultValueFactory = _ => 100,
    });

    public static Option<string> Acks() => new Option<string>("--acks")
    {
        Description = "Producer acks: 0, 1 or all.",
        DefaultValueFactory = _ => "1",
    }.AcceptOnlyFromAmong(Names.AcksValues);

    public static Option<string> Compression() => new Option<string>("--compression")
    {
        Description = "Producer compression.type.",
        DefaultValueFactory = _ => "none",
    }.AcceptOnlyFromAmong(Names.CompressionValues);

    public static Option<int> Partitions() => Positive(new Option<int>("--partitions")
    {
        Description = "Partitions when creating the topic.",
        DefaultValueFactory = _ => 6,
    });

    public static Option<short> ReplicationFactor() => new("--replication-factor")
    {
        Description = "Replication factor when creating the topic (-1: broker default).",
        DefaultValueFactory = _ => 1,
    };

    public static Option<double> LingerMs() => new("--linger-ms")
    {
        Description = "Producer linger.ms.",
        DefaultValueFactory = _ => 5,
    };

    public static Option<int> BatchSize() => Positive(new Option<int>("--batch-size")
    {
        Description = "Producer batch.size in bytes (also the baseline's write size).",
        DefaultValueFactory = _ => 1_048_576,
    });

    public static Option<int> Timeout() => Positive(new Option<int>("--timeout")
    {
        Description = "Seconds after which a run stops and reports what it measured (exit code 2).",
        DefaultValueFactory = _ => 300,
    });

    public static Option<bool> NoProgress() => new("--no-progress")
    {
        Description = "Do not show progress while running.",
    };

    private static Option<T> Positive<T>(Option<T> option)
        where T : struct, IComparable<T>
    {
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<T>().CompareTo(default) <= 0)
            {
                result.AddError($"{option.Name} must be greater than zero.");
            }
        });
        return option;
    }
}

/// <summary><c>perf produce</c>: like kafka-producer-perf-test.</summary>
internal sealed class ProduceCommand : Command
{
    private readonly Option<string> bootstrap = PerfCommandLine.Bootstrap();
    private readonly Option<string> topic = PerfCommandLine.Topic();
    private readonly Option<long> records = PerfCommandLine.Records(1_000_000);
    private readonly Option<int> recordSize = PerfCommandLine.RecordSize();
    private readonly Option<string> acks = PerfCommandLine.Acks();
    private readonly Option<string> compression = PerfCommandLine.Compression();
    private readonly Option<int> partitions = PerfCommandLine.Partitions();
    private readonly Option<short> replicationFactor = PerfCommandLine.ReplicationFactor();
    private readonly Option<double> lingerMs = PerfCommandLine.LingerMs();
    private readonly Option<int> batchSize = PerfCommandLine.BatchSize();
    private readonly Option<bool> createTopic = new("--create-topic") { Description = "Create the topic first (an existing topic is fine)." };
    private readonly Option<int> timeout = PerfCommandLine.Timeout();
    private readonly Option<bool> noProgress = PerfCommandLine.NoProgress();

    public ProduceCommand()
        : base("produce", "Produce records and report msgs/s, MB/s and per-record latency.")
    {
        Options.Add(bootstrap);
        Options.Add(topic);
        Options.Add(records);
        Options.Add(recordSize);
        Options.Add(acks);
        Options.Add(compression);
        Options.Add(partitions);
        Options.Add(replicationFactor);
        Options.Add(lingerMs);
        Options.Add(batchSize);
        Options.Add(createTopic);
        Options.Add(timeout);
        Options.Add(noProgress);
        SetAction((parseResult, cancellationToken) => PerfCommands.ProduceAsync(Read(parseResult), cancellationToken));
    }

    public ProduceSettings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new ProduceSettings(
            parseResult.GetRequiredValue(bootstrap),
            parseResult.GetRequiredValue(topic),
            parseResult.GetValue(records),
            parseResult.GetValue(recordSize),
            Names.ParseAcks(parseResult.GetRequiredValue(acks)),
            Names.ParseCompression(parseResult.GetRequiredValue(compression)),
            parseResult.GetValue(partitions),
            parseResult.GetValue(replicationFactor),
            parseResult.GetValue(lingerMs),
            parseResult.GetValue(batchSize),
            parseResult.GetValue(createTopic),
            TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
            !parseResult.GetValue(noProgress));
    }
}

/// <summary><c>perf consume</c>: like kafka-consumer-perf-test.</summary>
internal sealed class ConsumeCommand : Command
{
    private readonly Option<string> bootstrap = PerfCommandLine.Bootstrap();
    private readonly Option<string> topic = PerfCommandLine.Topic();
    private readonly Option<long> records = PerfCommandLine.Records(1_000_000);
    private readonly Option<string> group = new("--group")
    {
        Description = "Consumer group to subscribe with (partitions are rewound to the beginning).",
        DefaultValueFactory = _ => "perf-consumer",
    };

    private readonly Option<bool> noGroup = new("--no-group") { Description = "Assign every partition at the beginning instead of joining a group." };
    private readonly Option<int> timeout = PerfCommandLine.Timeout();
    private readonly Option<bool> noProgress = PerfCommandLine.NoProgress();

    public ConsumeCommand()
        : base("consume", "Consume records from the beginning and report msgs/s, MB/s and time to first record.")
    {
        Options.Add(bootstrap);
        Options.Add(topic);
        Options.Add(records);
        Options.Add(group);
        Options.Add(noGroup);
        Options.Add(timeout);
        Options.Add(noProgress);
        SetAction((parseResult, cancellationToken) => PerfCommands.ConsumeAsync(Read(parseResult), cancellationToken));
    }

    public ConsumeSettings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new ConsumeSettings(
            parseResult.GetRequiredValue(bootstrap),
            parseResult.GetRequiredValue(topic),
            parseResult.GetValue(records),
            parseResult.GetValue(noGroup) ? null : parseResult.GetRequiredValue(group),
            TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
            !parseResult.GetValue(noProgress));
    }
}

/// <summary><c>perf baseline</c>: the loopback socket pump, the limit the Kafka figures are held against.</summary>
internal sealed class BaselineCommand : Command
{
    private readonly Option<long> records = PerfCommandLine.Records(1_000_000);
    private readonly Option<int> recordSize = PerfCommandLine.RecordSize();
    private readonly Option<int> chunkSize = PerfCommandLine.BatchSize();
    private readonly Option<int> timeout = PerfCommandLine.Timeout();

    public BaselineCommand()
        : base("baseline", "Pump records × record-size bytes through a loopback TCP socket and report MB/s.")
    {
        Options.Add(records);
        Options.Add(recordSize);
        Options.Add(chunkSize);
        Options.Add(timeout);
        SetAction((parseResult, cancellationToken) => PerfCommands.BaselineAsync(Read(parseResult), cancellationToken));
    }

    public BaselineSettings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new BaselineSettings(
            parseResult.GetValue(records),
            parseResult.GetValue(recordSize),
            parseResult.GetValue(chunkSize),
            TimeSpan.FromSeconds(parseResult.GetValue(timeout)));
    }
}

/// <summary><c>perf suite</c>: the matrix, each cell beside its own baseline, medians and ratios.</summary>
internal sealed class SuiteCommand : Command
{
    private readonly Option<string> bootstrap = PerfCommandLine.Bootstrap();
    private readonly Option<int> runs = new("--runs") { Description = "Repetitions per cell (medians are reported).", DefaultValueFactory = _ => 3 };
    private readonly Option<int> partitions = PerfCommandLine.Partitions();
    private readonly Option<short> replicationFactor = PerfCommandLine.ReplicationFactor();
    private readonly Option<string> compression = PerfCommandLine.Compression();
    private readonly Option<double> lingerMs = PerfCommandLine.LingerMs();
    private readonly Option<int> batchSize = PerfCommandLine.BatchSize();
    private readonly Option<int> timeout = PerfCommandLine.Timeout();
    private readonly Option<string?> markdown = new("--markdown") { Description = "Also write the summary table as markdown to this file." };
    private readonly Option<bool> noProgress = PerfCommandLine.NoProgress();
    private readonly Option<bool> skipTopicCreation = new("--skip-topic-creation")
    {
        Description = "Do not create each run's topic through the admin client; rely on the broker auto-creating it.",
    };

    public SuiteCommand()
        : base("suite", "Run 1,000,000 × 100 B and 200,000 × 1 KiB with acks=1 and acks=all, each beside the loopback baseline.")
    {
        Options.Add(bootstrap);
        Options.Add(runs);
        Options.Add(partitions);
        Options.Add(replicationFactor);
        Options.Add(compression);
        Options.Add(lingerMs);
        Options.Add(batchSize);
        Options.Add(timeout);
        Options.Add(markdown);
        Options.Add(noProgress);
        Options.Add(skipTopicCreation);
        SetAction((parseResult, cancellationToken) => PerfCommands.SuiteAsync(Read(parseResult), cancellationToken));
    }

    public SuiteSettings Read(ParseResult parseResult)
    {
        ArgumentNullException.ThrowIfNull(parseResult);
        return new SuiteSettings(
            parseResult.GetRequiredValue(bootstrap),
            SuiteSettings.DefaultCells,
            Math.Max(1, parseResult.GetValue(runs)),
            parseResult.GetValue(partitions),
            parseResult.GetValue(replicationFactor),
            Names.ParseCompression(parseResult.GetRequiredValue(compression)),
            parseResult.GetValue(lingerMs),
            parseResult.GetValue(batchSize),
            TimeSpan.FromSeconds(parseResult.GetValue(timeout)),
            parseResult.GetValue(markdown),
            !parseResult.GetValue(noProgress),
            !parseResult.GetValue(skipTopicCreation));
    }
}
