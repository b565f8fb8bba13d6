using System.Diagnostics;
using Npgsql;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// A PostgreSQL of the test's own (initdb in a temporary folder, a free loopback port), so a fault test can stop, kill
/// and restart it without touching the run's shared server. Debian's binaries; run as the postgres user when we are root.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    private static readonly string Bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => d).Last() + "/bin";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"relay-test-pg-{Guid.NewGuid():N}");

    public int Port { get; } = RedisServer.FreePort();

    public string ConnectionString(string database = "relay") =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Password=postgres;Maximum Pool Size=100;Timeout=5;Command Timeout=15";

    public async Task StartAsync()
    {
        if (!Directory.Exists(_dir))
        {
            Directory.CreateDirectory(_dir);
            if (Environment.UserName == "root")
            {
                await RunAsync("chown", ["postgres", _dir]);
            }

            // Password authentication over TCP, as in production: what the relay opens must keep its password.
            await File.WriteAllTextAsync($"{_dir}.pw", "postgres\n");
            if (Environment.UserName == "root")
            {
                await RunAsync("chown", ["postgres", $"{_dir}.pw"]);
            }

            await RunAsync($"{Bin}/initdb", ["-D", _dir, "-U", "postgres", "--auth-local=trust", "--auth-host=scram-sha-256",
                $"--pwfile={_dir}.pw", "-E", "UTF8", "--no-sync"], asPostgres: true);
            File.Delete($"{_dir}.pw");
            await StartServerAsync();
            await using var db = new NpgsqlConnection(ConnectionString("postgres"));
            await db.OpenAsync();
            await new NpgsqlCommand("CREATE DATABASE relay", db).ExecuteNonQueryAsync();
            return;
        }

        await StartServerAsync();
    }

    private Task StartServerAsync() =>
        RunAsync($"{Bin}/pg_ctl", ["-D", _dir, "-l", $"{_dir}/log", "-w", "start", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off"], asPostgres: true);

    /// <summary>Stops it: "fast" closes sessions cleanly, "immediate" is a crash (recovery at the next start).</summary>
    public Task StopAsync(string mode = "fast") => RunAsync($"{Bin}/pg_ctl", ["-D", _dir, "-m", mode, "-w", "stop"], asPostgres: true);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync("immediate");
        }
        catch (InvalidOperationException)
        {
            // already stopped
        }

        Directory.Delete(_dir, recursive: true);
    }

    private static async Task RunAsync(string file, IEnumerable<string> args, bool asPostgres = false)
    {
        var root = Environment.UserName == "root";
        var start = asPostgres && root ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (asPostgres && root)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.RedirectStandardOutput = start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {await output}{await errors}");
        }
    }
}
