using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Orleans.Kafka.EndToEnd;

/// <summary>
/// A real PostgreSQL server for the cluster-mode tests, started from the machine's PostgreSQL binaries
/// (<c>/usr/lib/postgresql/*/bin</c>) in a temporary folder, on 127.0.0.1 and a free port, with trust authentication.
/// As root (CI) the server runs as the <c>postgres</c> user, since PostgreSQL refuses to run as root.
/// Stopped (immediate mode) and its folder deleted on dispose.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "okafka-pg-" + Guid.NewGuid().ToString("N"));
    private string _bin = "";
    private bool _started;

    public int Port { get; private set; }

    private string DataDirectory => Path.Combine(_root, "data");
    private string SocketDirectory => Path.Combine(_root, "socket");
    private string LogFile => Path.Combine(_root, "server.log");
    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>Connection string of a database on this server.</summary>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Username=postgres;Database={database};Pooling=false;Timeout=30";

    public async Task InitializeAsync()
    {
        _bin = FindBinaries();
        Directory.CreateDirectory(SocketDirectory);
        if (IsRoot) await RunAsync("chown", ["-R", "postgres:postgres", _root]);
        await RunPostgresToolAsync("initdb", ["-D", DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"]);
        Port = FreePort();
        await RunPostgresToolAsync("pg_ctl",
        [
            "-D", DataDirectory, "-l", LogFile, "-w", "-t", "60",
            "-o", $"-p {Port} -k {SocketDirectory} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off",
            "start",
        ]);
        _started = true;
    }

    /// <summary>Creates an empty database (one per test keeps tests independent) and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "okafka_" + Guid.NewGuid().ToString("N")[..12];
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    public async Task DisposeAsync()
    {
        try
        {
            if (_started) await RunPostgresToolAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "stop"]);
        }
        finally
        {
            try { Directory.Delete(_root, recursive: true); }
            catch (DirectoryNotFoundException) { }
        }
    }

    private static string FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        var bin = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        return bin ?? throw new InvalidOperationException(
            "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install them (Debian: apt-get install -y postgresql); .ci/run does");
    }

    private Task RunPostgresToolAsync(string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_bin, tool);
        return IsRoot ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments]) : RunAsync(path, arguments);
    }

    private async Task RunAsync(string file, IReadOnlyList<string> arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _root,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            var log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "";
            throw new InvalidOperationException(
                $"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}\n{log}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
