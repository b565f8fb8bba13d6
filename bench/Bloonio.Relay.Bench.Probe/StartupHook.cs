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
/// BENCH_GCLOG=prefix: every pause of this process's GC, as "clock pause_ms gen0 gen1 gen2" lines in prefix.pid, from the
/// runtime's own GC events (the execution engine suspended, then restarted), to line up with BENCH_TIMELINE's latencies.
/// The bench's load generator runs it too (its file is prefix.pid of the bench).
/// </summary>
public sealed class GcLog : System.Diagnostics.Tracing.EventListener
{
    private const System.Diagnostics.Tracing.EventKeywords GcKeyword = (System.Diagnostics.Tracing.EventKeywords)0x1;
    private static GcLog? _started;
    private readonly StreamWriter _writer;
    private DateTime? _suspended;

    private GcLog(StreamWriter writer) => _writer = writer;

    public static void StartIfAsked()
    {
        if (Environment.GetEnvironmentVariable("BENCH_GCLOG") is not { Length: > 0 } prefix || _started is not null)
        {
            return;
        }

        var writer = new StreamWriter($"{prefix}.{Environment.ProcessId}") { AutoFlush = true };
        writer.WriteLine($"# {Environment.ProcessPath} {string.Join(' ', Environment.GetCommandLineArgs().Skip(1))}");
        _started = new GcLog(writer);
    }

    protected override void OnEventSourceCreated(System.Diagnostics.Tracing.EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, System.Diagnostics.Tracing.EventLevel.Informational, GcKeyword);
        }
    }

    protected override void OnEventWritten(System.Diagnostics.Tracing.EventWrittenEventArgs e)
    {
        // The runtime's source exists before the constructor has run: its first events may come before _writer is set.
        if (_writer is null)
        {
            return;
        }

        if (e.EventName?.StartsWith("GCSuspendEEBegin", StringComparison.Ordinal) == true)
        {
            _suspended = e.TimeStamp;
        }
        else if (e.EventName?.StartsWith("GCRestartEEEnd", StringComparison.Ordinal) == true && _suspended is { } suspended)
        {
            _suspended = null;
            lock (_writer)
            {
                _writer.WriteLine($"{e.TimeStamp.ToUniversalTime():HH:mm:ss.fff} {(e.TimeStamp - suspended).TotalMilliseconds:0.0} " +
                                  $"{GC.CollectionCount(0)} {GC.CollectionCount(1)} {GC.CollectionCount(2)}");
            }
        }
    }
}
