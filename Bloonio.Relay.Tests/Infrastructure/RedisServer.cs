using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// A real redis-server (Debian's package, installed by the test command) on a free loopback port, owned by the test so
/// it can be stopped and started again on the same port.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = FreePort();

    public string ConnectionString => $"127.0.0.1:{Port}";

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _ = _process.StandardError.ReadToEndAsync();
        // redis-server says when it is ready; wait for that line (bounded).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (await _process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                _ = DrainAsync(_process.StandardOutput);
                return;
            }
        }

        throw new InvalidOperationException($"redis-server exited before it was ready on port {Port}");
    }

    private static async Task DrainAsync(StreamReader output)
    {
        while (await output.ReadLineAsync() is not null)
        {
        }
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process?.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
