using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// The relay as a real process (the Release build of Bloonio.Relay.Web), for faults an in-process host cannot have:
/// SIGTERM, kill -9, a restart on the same port. Its console log is kept, to count what it logged as errors.
/// </summary>
public sealed class RelayProcess : IAsyncDisposable
{
    private readonly IReadOnlyDictionary<string, string> _environment;
    private Process? _process;

    public RelayProcess(IReadOnlyDictionary<string, string> environment, int? port = null)
    {
        _environment = environment;
        Port = port ?? RedisServer.FreePort();
    }

    /// <summary>Its environment (to start another process as the same node).</summary>
    public IReadOnlyDictionary<string, string> Settings => _environment;

    public int? ExitCode => _process is { HasExited: true } p ? p.ExitCode : null;

    public int Port { get; }

    public Uri Url => new($"http://127.0.0.1:{Port}/");

    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>Lines the node logged at error level or worse ("fail:", "crit:" in the console format), each with its message
    /// (the next line).</summary>
    public IReadOnlyList<string> Errors
    {
        get
        {
            var lines = Log.ToList();
            return lines.Select((line, i) => (line, i))
                .Where(l => l.line.StartsWith("fail:", StringComparison.Ordinal) || l.line.StartsWith("crit:", StringComparison.Ordinal))
                .Select(l => l.i + 1 < lines.Count ? $"{l.line} {lines[l.i + 1].Trim()}" : l.line)
                .ToList();
        }
    }

    /// <summary>The environment of a node on this PostgreSQL (and Redis), with the test keys every node shares.</summary>
    public static Dictionary<string, string> Environment(string connectionString, string? redis = null) => new()
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ConnectionStrings__Relay"] = connectionString,
        ["Relay__MasterKey"] = RelayFactory.MasterKey,
        ["Relay__Jwt__SigningKeys"] = "test=" + RelayFactory.JwtKey,
        ["Relay__AdminApiKey"] = RelayFactory.AdminApiKey,
        ["Relay__AllowInsecureWebhooks"] = "true",
        ["Relay__Redis"] = redis ?? "",
        ["Relay__ShutdownTimeoutSeconds"] = "10",
        ["Logging__LogLevel__Default"] = "Warning",
        ["Logging__Console__FormatterName"] = "simple",
    };

    public async Task StartAsync()
    {
        var dll = Path.Combine(TestPaths.RepositoryRoot(), "Bloonio.Relay.Web", "bin",
            new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name, "net10.0", "Bloonio.Relay.Web.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var (key, value) in _environment)
        {
            start.Environment[key] = value;
        }

        start.Environment["ASPNETCORE_URLS"] = $"http://127.0.0.1:{Port}";
        _process = Process.Start(start)!;
        _ = KeepAsync(_process.StandardOutput);
        _ = KeepAsync(_process.StandardError);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the relay exited at start:\n{string.Join('\n', Log)}");
            }

            try
            {
                if ((await http.GetAsync(new Uri(Url, "healthz"))).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
            catch (TaskCanceledException)
            {
                // not answering yet
            }

            await Task.Delay(100); // nothing to await until it listens
        }

        throw new TimeoutException("the relay did not answer /healthz within 60 s");
    }

    private async Task KeepAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is { } line)
        {
            Log.Enqueue(line);
        }
    }

    /// <summary>SIGTERM (what an orchestrator sends), then waits for the process to end; returns how long it took.</summary>
    public async Task<TimeSpan> TerminateAsync()
    {
        var clock = Stopwatch.StartNew();
        if (_process is { HasExited: false } process)
        {
            _ = Kill(process.Id, 15);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }

        return clock.Elapsed;
    }

    /// <summary>kill -9: no shutdown at all.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            _ = Kill(process.Id, 9);
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
