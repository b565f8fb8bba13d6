using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

/// <summary>
/// Loaded by DOTNET_STARTUP_HOOKS when BENCH_PROBE names a Unix socket path: each connection to it gets, after a full
/// blocking compacting collection, one line "heap_bytes rss_bytes cpu_ms gen2_collections".
/// </summary>
internal static class StartupHook
{
    public static void Initialize()
    {
        GcLog.StartIfAsked();
        if (Environment.GetEnvironmentVariable("BENCH_PROBE") is not { Length: > 0 } path)
        {
            return;
        }

        File.Delete(path);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(4);
        new Thread(() =>
        {
            while (true)
            {
                using var client = listener.Accept();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
                GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
                using var process = Process.GetCurrentProcess();
                var line = $"{GC.GetTotalMemory(false)} {process.WorkingSet64} {(long)process.TotalProcessorTime.TotalMilliseconds} {GC.CollectionCount(2)}\n";
                client.Send(Encoding.ASCII.GetBytes(line));
            }
        }) { IsBackground = true, Name = "bench-probe" }.Start();
    }
}

/// <summary>
/// BENCH_GCLOG=prefix: every pause of this process's GC, as "clock pause_ms gen0 gen1 gen2" lines in prefix.pid (a thread
/// polls the total pause time every 2 ms), to line up with BENCH_TIMELINE's latencies. The bench's load generator runs it
/// too (its file is prefix.pid of the bench).
/// </summary>
public static class GcLog
{
    public static void StartIfAsked()
    {
        if (Environment.GetEnvironmentVariable("BENCH_GCLOG") is not { Length: > 0 } prefix)
        {
            return;
        }

        var writer = new StreamWriter($"{prefix}.{Environment.ProcessId}") { AutoFlush = true };
        writer.WriteLine($"# {Environment.ProcessPath} {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        new Thread(() =>
        {
            var last = GC.GetTotalPauseDuration();
            while (true)
            {
                Thread.Sleep(2);
                var now = GC.GetTotalPauseDuration();
                if (now > last)
                {
                    writer.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {(now - last).TotalMilliseconds:0.0} {GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)}");
                    last = now;
                }
            }
        }) { IsBackground = true, Name = "bench-gclog" }.Start();
    }
}
