using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace MedHelm.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests: Debian's PostgreSQL (15 here) initialised in a temp folder and started on a
/// free loopback port, with trust authentication for one superuser (<see cref="User"/>), no fsync (the data is thrown
/// away), stopped and deleted when the test process exits. <c>initdb</c> refuses to run as root, so as root the folder
/// is given to the <c>postgres</c> user and the tools run as that user (<c>runuser</c>). One server per test process
/// (<see cref="Shared"/>); each test makes its own database (<see cref="CreateDatabaseAsync"/>). A test that needs the
/// server and cannot start it fails with the reason: it is never skipped.
/// </summary>
public sealed class PostgresTestServer : IDisposable
{
    /// <summary>Names a folder with <c>initdb</c>, <c>pg_ctl</c> and <c>createdb</c> instead of the search below.</summary>
    public const string BinVariable = "MEDHELM_POSTGRES_BIN";

    public const string User = "medhelm";

    private static readonly Lazy<Task<PostgresTestServer>> SharedServer = new(() => Task.Run(Start));
    private static int _databases;

    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgresUser;
    private int _stopped;

    private PostgresTestServer(string bin, string folder, int port, bool asPostgresUser)
    {
        _bin = bin;
        _folder = folder;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The loopback port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The server of this test process, started on first use.</summary>
    /// <exception cref="InvalidOperationException">It could not be started (the message says why).</exception>
    public static Task<PostgresTestServer> Shared => SharedServer.Value;

    /// <summary>A connection string (no password: trust authentication) to <paramref name="database"/>.</summary>
    public string ConnectionString(string database) =>
        string.Create(CultureInfo.InvariantCulture, $"Host=127.0.0.1;Port={Port};Database={database};Username={User}");

    /// <summary>Creates a new empty database and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        var name = string.Create(CultureInfo.InvariantCulture, $"{prefix}_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}");
        await RunAsync("createdb", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, name]).ConfigureAwait(false);
        return name;
    }

    /// <summary>Runs <paramref name="sql"/> with <c>psql</c> in <paramref name="database"/> and returns the first column of each row.</summary>
    public async Task<List<string>> PsqlAsync(string database, string sql)
    {
        var output = await RunAsync(
            "psql", ["-h", "127.0.0.1", "-p", Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", database, "-X", "-q", "-t", "-A", "-F", "\u001f", "-v", "ON_ERROR_STOP=1", "-c", sql])
            .ConfigureAwait(false);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\u001f')[0]).ToList();
    }

    /// <summary>Stops the server (immediately: its data is thrown away) and deletes its folder.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        try
        {
            RunAsync("pg_ctl", ["-D", DataFolder, "-m", "immediate", "-w", "stop"]).GetAwaiter().GetResult();
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // removed by a later test process (RemoveStale)
        }
    }

    private string DataFolder => Path.Combine(_folder, "data");

    /// <summary>
    /// A server of its own (not <see cref="Shared"/>), for a test that stops and starts it (<see cref="StopAsync"/>,
    /// <see cref="ResumeAsync"/>) while the other tests of the process use the shared one; the caller disposes it.
    /// </summary>
    public static Task<PostgresTestServer> StartPrivateAsync() => Task.Run(Start);

    /// <summary>Stops the server as an administrator would for a restart (<c>pg_ctl stop -m fast</c>: sessions are ended, the data kept).</summary>
    public Task StopAsync() => RunAsync("pg_ctl", ["-D", DataFolder, "-m", "fast", "-w", "-t", "60", "stop"]);

    /// <summary>Starts the server (again) on its port over its data folder and waits until it accepts connections.</summary>
    public Task ResumeAsync()
    {
        var options = string.Create(CultureInfo.InvariantCulture,
            $"-p {Port} -k {_folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200");
        return RunAsync("pg_ctl", ["-D", DataFolder, "-o", options, "-l", Path.Combine(_folder, "server.log"), "-w", "-t", "60", "start"]);
    }

    private static PostgresTestServer Start()
    {
        RemoveStale();
        var bin = FindBin();
        var asPostgresUser = Environment.UserName == "root" || (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("USER") == "root");
        var folder = Directory.CreateTempSubdirectory("medhelm-pg-").FullName;
        if (asPostgresUser)
        {
            Run("chown", ["postgres:", folder], asUser: false, bin: null);
        }

        var failures = new StringBuilder();
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = new PostgresTestServer(bin, folder, FreePort(), asPostgresUser);
            try
            {
                if (attempt == 0)
                {
                    server.RunAsync("initdb", ["-A", "trust", "-U", User, "-D", server.DataFolder, "-E", "UTF8", "--locale=C", "--no-sync"]).GetAwaiter().GetResult();
                }

                server.ResumeAsync().GetAwaiter().GetResult();
                AppDomain.CurrentDomain.ProcessExit += (_, _) => server.Dispose();
                return server;
            }
            catch (InvalidOperationException e)
            {
                // the port may have been taken between finding it and binding it: try another
                failures.AppendLine(e.Message);
            }
        }

        var log = Path.Combine(folder, "server.log");
        throw new InvalidOperationException(
            $"The throwaway PostgreSQL server (from {bin}) could not be started in {folder}:\n{failures}" +
            (File.Exists(log) ? "server.log:\n" + string.Join('\n', File.ReadLines(log).TakeLast(20)) : ""));
    }

    /// <summary>
    /// Deletes the folders of earlier test processes whose server is no longer running (a test host killed before its exit
    /// handler finished), older than ten minutes so that no server another process is just initialising is touched.
    /// </summary>
    private static void RemoveStale()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "medhelm-pg-*"))
        {
            if (File.Exists(Path.Combine(folder, "data", "postmaster.pid")) || Directory.GetLastWriteTimeUtc(folder) > DateTime.UtcNow.AddMinutes(-10))
            {
                continue;
            }

            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // another user's, or in use: left
            }
        }
    }

    /// <summary><see cref="BinVariable"/>, else the newest /usr/lib/postgresql/N/bin, else the folder of initdb on the PATH.</summary>
    private static string FindBin()
    {
        if (Environment.GetEnvironmentVariable(BinVariable) is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "initdb"))
                ? configured
                : throw new InvalidOperationException($"{BinVariable}={configured} holds no initdb.");
        }

        var debian = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault()
            : null;
        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .FirstOrDefault(d => d.Length > 0 && File.Exists(Path.Combine(d, "initdb")));
        return debian ?? onPath ?? throw new InvalidOperationException(
            "PostgreSQL's server programs (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or on the PATH: install them " +
            $"(scripts/install-test-deps.sh: apt-get install postgresql) or set {BinVariable}.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private Task<string> RunAsync(string tool, string[] arguments) => Task.Run(() => Run(tool, arguments, _asPostgresUser, _bin));

    /// <summary>Runs a tool (from <paramref name="bin"/> when given), as the postgres user when <paramref name="asUser"/>; its output, or an error with it.</summary>
    private static string Run(string tool, string[] arguments, bool asUser, string? bin)
    {
        var program = bin is null ? tool : Path.Combine(bin, tool);
        var start = asUser ? new ProcessStartInfo("runuser", ["-u", "postgres", "--", program, .. arguments]) : new ProcessStartInfo(program, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.WorkingDirectory = Path.GetTempPath();
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TestTimeouts.Scale(TimeSpan.FromSeconds(90))))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{tool} did not finish in time.");
        }

        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout.Result
            : throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed (exit {process.ExitCode}): {stderr.Result.Trim()} {stdout.Result.Trim()}");
    }
}
