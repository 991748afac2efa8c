using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace MedHelm.Testing;

/// <summary>
/// A throwaway Redis (Debian's redis-server, installed by scripts/install-test-deps.sh) on a free loopback port, with
/// no persistence, in a temporary folder; stopped (its process killed) on dispose. A test that needs it and cannot
/// start it fails with the reason: it does not skip.
/// </summary>
public sealed class RedisServer : IDisposable
{
    /// <summary>Where Debian installs it.</summary>
    public const string Executable = "/usr/bin/redis-server";

    private readonly Process _process;
    private readonly TempFolder _folder = new("medhelm-redis-");

    private RedisServer(int port)
    {
        Port = port;
        var start = new ProcessStartInfo(Executable)
        {
            WorkingDirectory = _folder.Path,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _folder.Path })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException($"{Executable} did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Its loopback port.</summary>
    public int Port { get; }

    /// <summary>Its address for StackExchange.Redis (<c>127.0.0.1:PORT</c>).</summary>
    public string Connection => $"127.0.0.1:{Port}";

    /// <summary>Starts one and waits until it accepts connections.</summary>
    /// <exception cref="InvalidOperationException">redis-server is missing or did not start listening in time.</exception>
    public static async Task<RedisServer> StartAsync()
    {
        if (!File.Exists(Executable))
        {
            throw new InvalidOperationException($"{Executable} is missing: run scripts/install-test-deps.sh (apt-get install redis-server).");
        }
        var server = new RedisServer(FreePort());
        var deadline = DateTime.UtcNow + TestTimeouts.Scale(TimeSpan.FromSeconds(20));
        while (DateTime.UtcNow < deadline)
        {
            if (server._process.HasExited)
            {
                server.Dispose();
                throw new InvalidOperationException($"{Executable} exited with {server._process.ExitCode} before it listened on port {server.Port}.");
            }
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, server.Port);
                return server;
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }
        server.Dispose();
        throw new InvalidOperationException($"{Executable} did not listen on port {server.Port} in time.");
    }

    /// <summary>A loopback port free now.</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit();
            }
        }
        finally
        {
            _process.Dispose();
            _folder.Dispose();
        }
    }
}
