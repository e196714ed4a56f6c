using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit.Abstractions;

namespace Orleans.Kafka.EndToEnd;

/// <summary>What a <see cref="LocalCluster"/> runs.</summary>
public sealed record LocalClusterOptions
{
    /// <summary>Silo ids (each silo's <c>node.id</c> and silo id); each silo gets its own log.dirs and ports, kept across restarts.</summary>
    public IReadOnlyList<int> SiloIds { get; init; } = [1, 2, 3];

    /// <summary>Node ids of the standalone gateway processes (<c>Silo -- gateway</c>); must differ from the silo ids.</summary>
    public IReadOnlyList<int> GatewayIds { get; init; } = [];

    /// <summary>
    /// Whether silos run their own Kafka listener (co-hosted gateway, node.id = silo id). With listeners, Metadata names a
    /// partition's silo listener as its leader; without (<c>Orleans:KafkaListener=false</c>) clients reach the cluster only
    /// through the standalone gateways.
    /// </summary>
    public bool SiloKafkaListeners { get; init; } = true;

    /// <summary>Orleans membership settings (<c>Orleans:Membership:*</c>) of every silo; the default declares a killed silo dead within a few seconds.</summary>
    public IReadOnlyDictionary<string, string> Membership { get; init; } = FastMembership;

    /// <summary>More <c>--Section:key=value</c> arguments for every silo.</summary>
    public IReadOnlyList<string> ExtraSiloArguments { get; init; } = [];

    /// <summary>More arguments for every gateway.</summary>
    public IReadOnlyList<string> ExtraGatewayArguments { get; init; } = [];

    /// <summary>
    /// Test-tuned membership: 2 s probes, a silo that misses two is suspected, and silos re-read the table every 2 s, so a
    /// killed silo is declared dead within a few seconds. Two votes are still needed where three or more silos are active
    /// (Orleans asks for at most half of them), so one starved silo on a loaded CI machine cannot evict a healthy peer
    /// alone. Production keeps Orleans' defaults (README "Cluster mode").
    /// </summary>
    public static IReadOnlyDictionary<string, string> FastMembership { get; } = new Dictionary<string, string>
    {
        ["ProbeTimeout"] = "00:00:02",
        ["NumMissedProbesLimit"] = "2",
        ["NumVotesForDeathDeclaration"] = "2",
        ["TableRefreshTimeout"] = "00:00:02",
        ["IAmAliveTablePublishTimeout"] = "00:00:05",
        ["DeathVoteExpirationTimeout"] = "00:00:20",
    };
}

/// <summary>
/// A multi-process cluster on one real PostgreSQL database: silo processes (the Silo executable in postgres mode) and
/// standalone gateway processes, all on 127.0.0.1. Each member keeps its ports (and a silo its log.dirs) across
/// stop/kill/start, so a restarted silo comes back on its own endpoint as a real one would. Every child gets this test
/// host's pid (<c>OKAFKA_PARENT_PID</c>) and stops itself if the host dies. Output of every process is kept
/// (<see cref="DumpOutput"/>); disposing kills whatever still runs and deletes the data folders.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartPatience = TimeSpan.FromSeconds(90);

    /// <summary>Orleans' and Polly's information logs are dropped, so the kept output shows the broker's own story.</summary>
    private static readonly string[] QuietLogging = ["--Logging:LogLevel:Orleans=Warning", "--Logging:LogLevel:Polly=Warning"];
    private readonly string _root = Path.Combine(Path.GetTempPath(), "okafka-cluster-" + Guid.NewGuid().ToString("N"));
    private readonly Dictionary<int, ClusterMember> _silos = [];
    private readonly Dictionary<int, ClusterMember> _gateways = [];

    private LocalCluster(string connectionString, string clusterId, LocalClusterOptions options)
    {
        ConnectionString = connectionString;
        ClusterId = clusterId;
        Options = options;
        Directory.CreateDirectory(_root);
        foreach (var id in options.SiloIds)
        {
            _silos[id] = new ClusterMember($"silo {id}", id, FreePorts.Next(), FreePorts.Next(), FreePorts.Next(), Path.Combine(_root, $"silo-{id}"));
        }

        foreach (var id in options.GatewayIds)
        {
            if (_silos.ContainsKey(id)) throw new ArgumentException($"gateway id {id} is also a silo id", nameof(options));
            _gateways[id] = new ClusterMember($"gateway {id}", id, FreePorts.Next(), 0, 0, null);
        }
    }

    public string ConnectionString { get; }
    public string ClusterId { get; }
    public LocalClusterOptions Options { get; }

    public IReadOnlyDictionary<int, ClusterMember> Silos => _silos;
    public IReadOnlyDictionary<int, ClusterMember> Gateways => _gateways;

    /// <summary>Creates a database on <paramref name="postgres"/>, starts every silo (in parallel) and then every gateway.</summary>
    public static async Task<LocalCluster> StartAsync(PostgresServer postgres, LocalClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var cluster = new LocalCluster(await postgres.CreateDatabaseAsync(), "e2e-" + Guid.NewGuid().ToString("N")[..8], options);
        try
        {
            await Task.WhenAll(options.SiloIds.Select(cluster.StartSiloAsync));
            await Task.WhenAll(options.GatewayIds.Select(cluster.StartGatewayAsync));
            await cluster.WaitUntilEveryListenerNamesAllAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until Metadata from every listener names every listener as a broker. Gateways learn of each other through
    /// their heartbeats (about a second); before that, two gateways can answer Metadata with different broker lists, and
    /// librdkafka drops the handle of a broker that a later answer leaves out, failing what it had in flight there (seen:
    /// a CreateTopics failing with "Broker handle destroyed without termination" right after start-up).
    /// </summary>
    private async Task WaitUntilEveryListenerNamesAllAsync()
    {
        var listeners = (Options.SiloKafkaListeners ? _silos.Values.AsEnumerable() : []).Concat(_gateways.Values).ToList();
        var expected = listeners.Select(m => m.Id).Order().ToList();
        var deadline = DateTime.UtcNow + StartPatience;
        foreach (var member in listeners)
        {
            using var admin = new Confluent.Kafka.AdminClientBuilder(new Confluent.Kafka.AdminClientConfig { BootstrapServers = member.BootstrapServers })
                .SetLogHandler((_, _) => { })
                .Build();
            var named = "nothing yet";
            while (true)
            {
                try
                {
                    var brokers = await Task.Run(() => admin.GetMetadata(TimeSpan.FromSeconds(5)).Brokers.Select(b => b.BrokerId).Order().ToList());
                    if (brokers.SequenceEqual(expected)) break;
                    named = string.Join(',', brokers);
                }
                catch (Confluent.Kafka.KafkaException ex)
                {
                    named = ex.Message;
                }

                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{member.Name}'s Metadata names brokers [{named}], not [{string.Join(',', expected)}]");
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Kafka bootstrap address of a silo's own listener (node.id = silo id; needs <see cref="LocalClusterOptions.SiloKafkaListeners"/>).</summary>
    public string SiloBootstrap(int siloId) => _silos[siloId].BootstrapServers;

    /// <summary>Kafka bootstrap address of a standalone gateway.</summary>
    public string GatewayBootstrap(int gatewayId) => _gateways[gatewayId].BootstrapServers;

    /// <summary>Bootstrap list of the given members' listeners (silos or gateways), comma-separated.</summary>
    public string Bootstrap(params int[] ids) =>
        string.Join(',', ids.Select(id => _gateways.TryGetValue(id, out var g) ? g.BootstrapServers : _silos[id].BootstrapServers));

    /// <summary>Bootstrap list of every silo listener.</summary>
    public string AllSilosBootstrap => string.Join(',', _silos.Values.Select(s => s.BootstrapServers));

    /// <summary>Starts (or restarts, on the same ports and log.dirs) silo <paramref name="siloId"/> and waits until it is Active in membership (and listening).</summary>
    public async Task StartSiloAsync(int siloId)
    {
        var silo = _silos[siloId];
        if (silo.IsRunning) throw new InvalidOperationException($"{silo.Name} is running");
        var arguments = new List<string>
        {
            "--Orleans:ClusteringMode=postgres",
            $"--Orleans:ConnectionString={ConnectionString}",
            $"--Orleans:ClusterId={ClusterId}",
            $"--Orleans:ServiceId={ClusterId}",
            "--Orleans:AdvertisedIPAddress=127.0.0.1",
            $"--Orleans:SiloPort={silo.SiloPort}",
            $"--Orleans:GatewayPort={silo.OrleansGatewayPort}",
            $"--Orleans:KafkaListener={(Options.SiloKafkaListeners ? "true" : "false")}",
            $"--Kafka:node.id={siloId}",
            $"--Kafka:listener.port={silo.KafkaPort}",
            $"--Kafka:log.dirs={silo.DataDirectory}",
        };
        arguments.AddRange(Options.Membership.Select(kv => $"--Orleans:Membership:{kv.Key}={kv.Value}"));
        arguments.AddRange(QuietLogging);
        arguments.AddRange(Options.ExtraSiloArguments);
        // After a SIGKILL the old generation is still Active in the table until it is superseded or declared dead:
        // ready means a newer generation is Active.
        var previous = await LatestGenerationAsync(silo.SiloPort);
        var started = Stopwatch.StartNew();
        silo.Start(arguments);
        // Active in membership is not enough: the silo's later start-up stages (opening partitions) run after it; the
        // host logs "Application started" once every stage and hosted service has started.
        await WaitAsync(silo, async () =>
            silo.HostStarted
            && await ActiveGenerationAsync(silo.SiloPort) is { } generation && (previous is null || generation > previous)
            && (!Options.SiloKafkaListeners || await IsListeningAsync(silo.KafkaPort)));
        silo.LastStartTime = started.Elapsed;
    }

    /// <summary>Starts (or restarts on the same port) gateway <paramref name="gatewayId"/> and waits until it listens.</summary>
    public async Task StartGatewayAsync(int gatewayId)
    {
        var gateway = _gateways[gatewayId];
        if (gateway.IsRunning) throw new InvalidOperationException($"{gateway.Name} is running");
        var arguments = new List<string>
        {
            "gateway",
            "--Orleans:ClusteringMode=postgres",
            $"--Orleans:ConnectionString={ConnectionString}",
            $"--Orleans:ClusterId={ClusterId}",
            $"--Orleans:ServiceId={ClusterId}",
            $"--Kafka:node.id={gatewayId}",
            $"--Kafka:listener.port={gateway.KafkaPort}",
        };
        arguments.AddRange(QuietLogging);
        arguments.AddRange(Options.ExtraGatewayArguments);
        var started = Stopwatch.StartNew();
        gateway.Start(arguments);
        await WaitAsync(gateway, async () => gateway.HostStarted && await IsListeningAsync(gateway.KafkaPort));
        gateway.LastStartTime = started.Elapsed;
    }

    /// <summary>
    /// SIGTERM: the silo shuts down gracefully (leaves membership as Dead); SIGKILL if it takes over 30 s.
    /// Returns false when it had to be killed.
    /// </summary>
    public Task<bool> StopSiloAsync(int siloId) => _silos[siloId].StopAsync();

    /// <summary>SIGKILL: no shutdown code runs; the others declare it dead after the membership probes fail (<see cref="WaitUntilDeclaredDeadAsync"/>).</summary>
    public Task KillSiloAsync(int siloId) => _silos[siloId].KillAsync();

    public Task<bool> StopGatewayAsync(int gatewayId) => _gateways[gatewayId].StopAsync();

    public Task KillGatewayAsync(int gatewayId) => _gateways[gatewayId].KillAsync();

    /// <summary>Waits until membership marks the silo's latest generation on its endpoint Dead (after a kill or stop).</summary>
    public async Task WaitUntilDeclaredDeadAsync(int siloId, TimeSpan? timeout = null)
    {
        var silo = _silos[siloId];
        var patience = timeout ?? TimeSpan.FromSeconds(60);
        var deadline = DateTime.UtcNow + patience;
        while (await LatestStatusAsync(silo.SiloPort) is not (null or 6))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{silo.Name} was not declared dead within {patience}");
            await Task.Delay(100);
        }
    }

    /// <summary>Partition directories (<c>{topic}-{n}</c>) in a silo's log.dirs: the partitions that silo owns.</summary>
    public IReadOnlyList<int> PartitionsOn(int siloId, string topic)
    {
        var directory = _silos[siloId].DataDirectory!;
        if (!Directory.Exists(directory)) return [];
        return Directory.GetDirectories(directory, topic + "-*")
            .Select(d => Path.GetFileName(d)[(topic.Length + 1)..])
            .Where(n => int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(n => int.Parse(n, CultureInfo.InvariantCulture))
            .Order()
            .ToList();
    }

    /// <summary>Writes the last <paramref name="lines"/> output lines of every process (those of earlier runs too) to the test output.</summary>
    public void DumpOutput(ITestOutputHelper log, int lines = 80)
    {
        ArgumentNullException.ThrowIfNull(log);
        foreach (var member in _silos.Values.Concat(_gateways.Values))
        {
            var output = member.OutputLines();
            log.WriteLine($"--- {member.Name} (last {Math.Min(lines, output.Count)} of {output.Count} lines) ---");
            foreach (var line in output.TakeLast(lines)) log.WriteLine(line);
        }
    }

    /// <summary>Runs <paramref name="body"/>; when it throws, the processes' output goes to the test output first.</summary>
    public async Task DumpOnFailureAsync(ITestOutputHelper log, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body();
        }
        catch
        {
            DumpOutput(log);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_gateways.Values.Concat(_silos.Values).Select(m => m.KillAsync()));
        try { Directory.Delete(_root, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    private async Task WaitAsync(ClusterMember member, Func<Task<bool>> ready)
    {
        var deadline = DateTime.UtcNow + StartPatience;
        while (!await ready())
        {
            if (member.HasExited) throw new InvalidOperationException($"{member.Name} exited with {member.ExitCode}:\n{member.Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{member.Name} was not ready within {StartPatience}:\n{member.Output}");
            await Task.Delay(100);
        }
    }

    private async Task<int?> ActiveGenerationAsync(int siloPort)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT Generation FROM OrleansMembershipTable WHERE DeploymentId = @cluster AND Port = @port AND Status = 3 " +
            "ORDER BY Generation DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("port", siloPort);
        try
        {
            return await command.ExecuteScalarAsync() is int generation ? generation : null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null; // The first silo has not applied the schema yet.
        }
    }

    private async Task<int?> LatestGenerationAsync(int siloPort)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT max(Generation) FROM OrleansMembershipTable WHERE DeploymentId = @cluster AND Port = @port", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("port", siloPort);
        try
        {
            return await command.ExecuteScalarAsync() is int generation ? generation : null;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
        {
            return null;
        }
    }

    private async Task<int?> LatestStatusAsync(int siloPort)
    {
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT Status FROM OrleansMembershipTable WHERE DeploymentId = @cluster AND Port = @port ORDER BY Generation DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("cluster", ClusterId);
        command.Parameters.AddWithValue("port", siloPort);
        return await command.ExecuteScalarAsync() is int status ? status : null;
    }

    private static async Task<bool> IsListeningAsync(int port)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>One process of a <see cref="LocalCluster"/> (silo or gateway): fixed ports, restartable, output kept across runs.</summary>
public sealed class ClusterMember
{
    private const int MaxLines = 5000;
    private static readonly TimeSpan StopPatience = TimeSpan.FromSeconds(30);
    private readonly Queue<string> _output = new();
    private Process? _process;
    private volatile bool _hostStarted;

    internal ClusterMember(string name, int id, int kafkaPort, int siloPort, int orleansGatewayPort, string? dataDirectory)
    {
        Name = name;
        Id = id;
        KafkaPort = kafkaPort;
        SiloPort = siloPort;
        OrleansGatewayPort = orleansGatewayPort;
        DataDirectory = dataDirectory;
    }

    public string Name { get; }

    /// <summary>Silo id (= its listener's node.id) or gateway node id.</summary>
    public int Id { get; }

    /// <summary>The Kafka listener port (a silo's is bound only with <see cref="LocalClusterOptions.SiloKafkaListeners"/>).</summary>
    public int KafkaPort { get; }

    public string BootstrapServers => $"127.0.0.1:{KafkaPort}";

    /// <summary>Orleans silo-to-silo port (silos only; 0 for gateways).</summary>
    public int SiloPort { get; }

    /// <summary>Orleans client port (silos only; 0 for gateways).</summary>
    public int OrleansGatewayPort { get; }

    /// <summary>The silo's log.dirs (null for gateways).</summary>
    public string? DataDirectory { get; }

    /// <summary>Process id of the current run, or null when not running.</summary>
    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    public bool IsRunning => _process is { HasExited: false };

    internal bool HasExited => _process is null || _process.HasExited;

    internal int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    /// <summary>How long the latest start took until the member was ready.</summary>
    public TimeSpan LastStartTime { get; internal set; }

    /// <summary>The current run's host has logged "Application started" (every start-up stage has run).</summary>
    public bool HostStarted => _hostStarted;

    public string Output => string.Join('\n', OutputLines());

    public IReadOnlyList<string> OutputLines() { lock (_output) { return [.. _output]; } }

    internal void Start(IReadOnlyList<string> arguments)
    {
        _process?.Dispose();
        _hostStarted = false;
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Orleans.Kafka.Silo.dll"));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        // A crashed test host must not leave this process running (Silo/ParentProcessWatch.cs).
        info.Environment["OKAFKA_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Record($"=== {DateTime.UtcNow:HH:mm:ss.fff} start: {string.Join(' ', arguments.Where(a => !a.Contains("ConnectionString", StringComparison.Ordinal)))}");
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {Name}");
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>SIGTERM and wait; SIGKILL after <see cref="StopPatience"/>. True when the process ended by itself.</summary>
    internal async Task<bool> StopAsync()
    {
        if (_process is not { HasExited: false } process) return true;
        Record($"=== {DateTime.UtcNow:HH:mm:ss.fff} SIGTERM");
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(StopPatience);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            Record($"=== still running {StopPatience} after SIGTERM: SIGKILL");
            process.Kill(entireProcessTree: true);
            await ProcessExit.WaitAfterKillAsync(process, "cluster member process");
            return false;
        }
    }

    internal async Task KillAsync()
    {
        if (_process is not { HasExited: false } process) return;
        Record($"=== {DateTime.UtcNow:HH:mm:ss.fff} SIGKILL");
        process.Kill(entireProcessTree: true);
        await ProcessExit.WaitAfterKillAsync(process, "cluster member process");
    }

    private void Record(string? line)
    {
        if (line is null) return;
        if (line.Contains("Application started.", StringComparison.Ordinal)) _hostStarted = true;
        lock (_output)
        {
            _output.Enqueue(line);
            if (_output.Count > MaxLines) _output.Dequeue();
        }
    }
}
