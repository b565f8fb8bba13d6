using System.Globalization;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Bloonio.Relay.Bench;

/// <summary>Free loopback ports, the repository, CPU of processes from /proc.</summary>
public static class Machine
{
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Relay.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new DirectoryNotFoundException("Relay.sln not found above the benchmark");
    }

    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>CPU seconds (user + system) a process has used, with its waited-for children.</summary>
    public static double CpuSeconds(int pid, bool withChildren = false)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11]) + long.Parse(fields[12]) + (withChildren ? long.Parse(fields[13]) + long.Parse(fields[14]) : 0);
        return ticks / 100.0;
    }

    public static IEnumerable<int> ChildrenOf(int parent) =>
        Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(n => n!.All(char.IsDigit)).Select(int.Parse!)
            .Where(pid =>
            {
                try
                {
                    var stat = File.ReadAllText($"/proc/{pid}/stat");
                    return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]) == parent;
                }
                catch (IOException)
                {
                    return false;
                }
            });

    public static string LoadAverage() => File.ReadAllText("/proc/loadavg").Trim();

    /// <summary>The machine's memory (MemTotal).</summary>
    public static long MemoryBytes() =>
        long.Parse(File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";

    /// <summary>Runs a command (as <paramref name="user"/> through runuser when we are root) and waits for it.</summary>
    /// <returns>What the command wrote to its standard output.</returns>
    public static async Task<string> RunAsync(string file, IEnumerable<string> args, string? user = null)
    {
        var start = user is not null && IsRoot ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (user is not null && IsRoot)
        {
            foreach (var a in new[] { "-u", user, "--", file })
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

        return await output;
    }
}

/// <summary>A PostgreSQL of the benchmark's own (initdb in a temporary folder, a free port), so its CPU is all ours.</summary>
/// <param name="walMegabytes">
/// min_wal_size and max_wal_size, and the WAL created before any measure (see <see cref="WarmWalAsync"/>).
/// </param>
public sealed class PrivatePostgres(int walMegabytes = 1024) : IAsyncDisposable
{
    public int WalMegabytes => walMegabytes;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"bloonio-bench-pg-{Environment.ProcessId}");
    private static readonly string Bin = Directory.GetDirectories("/usr/lib/postgresql").OrderBy(d => d).Last() + "/bin";

    public int Port { get; } = Machine.FreePort();

    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port};Database={database};Username=postgres;Maximum Pool Size=200;No Reset On Close=true";

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_dir);
        if (Machine.IsRoot)
        {
            await Machine.RunAsync("chown", ["postgres", _dir]);
        }

        await Machine.RunAsync($"{Bin}/initdb", ["-D", _dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], "postgres");
        await Machine.RunAsync($"{Bin}/pg_ctl", ["-D", _dir, "-l", $"{_dir}/log", "-w", "start", "-o",
            $"-p {Port} -k {_dir} -c listen_addresses=127.0.0.1 -c max_connections=400 -c shared_buffers={SharedBuffersMegabytes}MB -c fsync=on -c synchronous_commit=on -c min_wal_size={walMegabytes}MB -c max_wal_size={walMegabytes}MB" +
            (Statements ? " -c shared_preload_libraries=pg_stat_statements,auto_explain -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on" +
                          " -c auto_explain.log_min_duration=5 -c auto_explain.log_analyze=on -c auto_explain.log_buffers=on"
                        : " -c shared_preload_libraries=pg_stat_statements") + (Wal ? " -c wal_keep_size=4GB" : "") + " " + ExtraOptions],
            "postgres");
        await using var db = new NpgsqlConnection(ConnectionString("postgres"));
        await db.OpenAsync();
        await new NpgsqlCommand("CREATE DATABASE relay", db).ExecuteNonQueryAsync();
        await WarmWalAsync(db, walMegabytes / 16);
        // Always: the idle figure counts the statements the relay runs (the database's transaction counter also counts
        // autovacuum's, which a young database runs often).
        {
            await using var relay = new NpgsqlConnection(ConnectionString("relay"));
            await relay.OpenAsync();
            await new NpgsqlCommand("CREATE EXTENSION pg_stat_statements", relay).ExecuteNonQueryAsync();
        }
    }

    /// <summary>BENCH_STATEMENTS=1: pg_stat_statements on, and its top statements printed at the end (where PostgreSQL's time goes);
    /// plans of statements slower than 5 ms are kept in /tmp/bloonio-bench-postgres.log.</summary>
    public static bool Statements => Environment.GetEnvironmentVariable("BENCH_STATEMENTS") == "1";

    /// <summary>
    /// A quarter of the machine's memory, at most 2 GB: PostgreSQL's usual advice for a server of its own. With 256 MB (this
    /// bench until stop 22) the journal's pages were evicted dirty by the backends and written back by the kernel in bursts
    /// behind the WAL's fsync: P2's tail in the full run was twice as long (docs/benchmarks.md).
    /// </summary>
    public static long SharedBuffersMegabytes =>
        Math.Clamp(Machine.MemoryBytes() / 4 / (1024 * 1024), 128, 2048);

    /// <summary>BENCH_WAL=1: where P1's WAL goes, by record type and relation (pg_walinspect over the window), printed after P1.</summary>
    public static bool Wal => Environment.GetEnvironmentVariable("BENCH_WAL") == "1";

    /// <summary>The WAL written between two positions (bytes from 0/0), by resource manager, record type and relation; the
    /// segments are kept for it (wal_keep_size under BENCH_WAL).</summary>
    public async Task<string> WalBreakdownAsync(long from, long to, long messages)
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        await new NpgsqlCommand("CREATE EXTENSION IF NOT EXISTS pg_walinspect", db).ExecuteNonQueryAsync();
        await using var command = new NpgsqlCommand("""
            WITH records AS (
                SELECT resource_manager, record_type, record_length, fpi_length,
                       (regexp_match(block_ref, 'rel \d+/\d+/(\d+)'))[1]::oid AS node
                FROM pg_get_wal_records_info('0/0'::pg_lsn + $1::numeric, '0/0'::pg_lsn + $2::numeric))
            SELECT resource_manager, record_type, coalesce(c.relname, node::text, '-'), count(*), sum(record_length), sum(fpi_length)
            FROM records LEFT JOIN pg_class c ON c.relfilenode = records.node
            GROUP BY 1, 2, 3 ORDER BY 5 DESC LIMIT 30
            """, db);
        command.Parameters.AddWithValue(from);
        command.Parameters.AddWithValue(to);
        command.CommandTimeout = 300;
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new System.Text.StringBuilder($"WAL of P1 ({to - from} bytes, {messages} messages): rmgr type relation records_per_msg bytes_per_msg fpi_bytes_per_msg\n");
        while (await reader.ReadAsync())
        {
            double PerMessage(int i) => Convert.ToDouble(reader.GetValue(i)) / Math.Max(1, messages);
            lines.AppendLine($"{reader.GetString(0)} {reader.GetString(1)} {reader.GetString(2)} {PerMessage(3):0.00} {PerMessage(4):0} {PerMessage(5):0}");
        }

        return lines.ToString();
    }

    /// <summary>
    /// The WAL segments' files, by inode. A recycled segment is an old file renamed; a segment that shows a new inode after
    /// a window was created in it, and zero-filled (16 MB written and flushed) while a commit waited for it.
    /// </summary>
    public async Task<IReadOnlySet<string>> WalFilesAsync() =>
        (await Machine.RunAsync("find", [Path.Combine(_dir, "pg_wal"), "-maxdepth", "1", "-type", "f", "-printf", "%i\n"]))
        .Split('\n', StringSplitOptions.RemoveEmptyEntries).ToHashSet();

    /// <summary>
    /// A server that has run a while writes its WAL into recycled segments; a fresh one creates and zero-fills a 16 MB
    /// segment every 1.8 s at 4 500 messages a second, and the commit that crosses into it waited 10 ms or more for
    /// that (PostgreSQL's log, one slow COMMIT per segment, each lined up with a spike of P2's latency). So before any
    /// measure, min_wal_size's worth of segments is created and a checkpoint recycles them, and min_wal_size keeps them
    /// recycled rather than removed: the steady state of a production server, for both the relay's runs and none of B1's.
    /// (With max_wal_size above min_wal_size and no checkpoint yet, a run past the warmed WAL created a segment every 1.6 s
    /// in P2, and each time COMMITs waited 20–55 ms.)
    /// </summary>
    private static async Task WarmWalAsync(NpgsqlConnection db, int segments)
    {
        await using var warm = new NpgsqlCommand($"""
            DO $$ BEGIN
                FOR i IN 1..{segments} LOOP
                    PERFORM pg_logical_emit_message(false, 'bench', 'warm');
                    PERFORM pg_switch_wal();
                END LOOP;
            END $$
            """, db) { CommandTimeout = 300 };
        await warm.ExecuteNonQueryAsync();
        await new NpgsqlCommand("CHECKPOINT", db) { CommandTimeout = 300 }.ExecuteNonQueryAsync();
    }

    /// <summary>BENCH_PG_OPTIONS: more server settings for the private PostgreSQL (e.g. "-c log_checkpoints=on"); with
    /// any set, its log is kept in /tmp/bloonio-bench-postgres.log.</summary>
    private static string ExtraOptions => Environment.GetEnvironmentVariable("BENCH_PG_OPTIONS") ?? "";

    /// <summary>Statements clients ran in the relay database, this harness's own counter queries left out.</summary>
    public async Task<long> StatementsAsync()
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT COALESCE(sum(calls), 0)::bigint FROM pg_stat_statements
            WHERE dbid = (SELECT oid FROM pg_database WHERE datname = 'relay') AND query NOT LIKE '%pg_stat_%'
            """, db);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task<string> TopStatementsAsync()
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT round(total_exec_time)::bigint, calls, rows, round(total_exec_time * 1000 / GREATEST(calls, 1))::bigint AS us_per_call,
                   plans, round(total_plan_time * 1000 / GREATEST(plans, 1))::bigint AS plan_us, left(regexp_replace(query, '\s+', ' ', 'g'), 150)
            FROM (SELECT * FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 25) by_time
            UNION
            SELECT round(total_exec_time)::bigint, calls, rows, round(total_exec_time * 1000 / GREATEST(calls, 1))::bigint AS us_per_call,
                   plans, round(total_plan_time * 1000 / GREATEST(plans, 1))::bigint AS plan_us, left(regexp_replace(query, '\s+', ' ', 'g'), 150)
            FROM (SELECT * FROM pg_stat_statements ORDER BY calls DESC LIMIT 10) by_calls
            ORDER BY 1 DESC
            """, db);
        await using var reader = await command.ExecuteReaderAsync();
        var lines = new System.Text.StringBuilder("total_ms calls rows us/call plans plan_us/plan query\n");
        while (await reader.ReadAsync())
        {
            lines.AppendLine($"{reader.GetInt64(0)} {reader.GetInt64(1)} {reader.GetInt64(2)} {reader.GetInt64(3)} {reader.GetInt64(4)} {reader.GetInt64(5)} {reader.GetString(6)}");
        }

        return lines.ToString();
    }

    public int PostmasterPid => int.Parse(File.ReadLines(Path.Combine(_dir, "postmaster.pid")).First());

    /// <summary>CPU seconds of the whole instance: the postmaster, its live backends and those that exited.</summary>
    public double CpuSeconds() =>
        Machine.CpuSeconds(PostmasterPid, withChildren: true) + Machine.ChildrenOf(PostmasterPid).Sum(pid =>
        {
            try
            {
                return Machine.CpuSeconds(pid);
            }
            catch (IOException)
            {
                return 0;
            }
        });

    /// <summary>Committed and rolled-back transactions of the relay's database, and the WAL position.</summary>
    /// <summary>Turns autovacuum off (or back on) for the whole instance, so that an idle window counts the relay's own
    /// transactions only (a young database's autovacuum runs often and its transactions are counted in the database's).</summary>
    public async Task AutovacuumAsync(bool on)
    {
        await using var db = new NpgsqlConnection(ConnectionString("postgres"));
        await db.OpenAsync();
        await new NpgsqlCommand(on ? "ALTER SYSTEM RESET autovacuum" : "ALTER SYSTEM SET autovacuum = off", db).ExecuteNonQueryAsync();
        await new NpgsqlCommand("SELECT pg_reload_conf()", db).ExecuteNonQueryAsync();
    }

    public async Task<long> RollbacksAsync()
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        return (long)(await new NpgsqlCommand("SELECT xact_rollback FROM pg_stat_database WHERE datname = 'relay'", db).ExecuteScalarAsync())!;
    }

    public async Task<(long Transactions, long WalBytes)> CountersAsync() => (await WalCountersAsync()) is var c ? (c.Transactions, c.WalBytes) : default;

    /// <summary>Also the full-page images written to the WAL (the first change of a page after each checkpoint).</summary>
    public async Task<(long Transactions, long WalBytes, long FullPageImages)> WalCountersAsync()
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT xact_commit + xact_rollback, pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint, (SELECT wal_fpi FROM pg_stat_wal)
            FROM pg_stat_database WHERE datname = 'relay'
            """, db);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>Events stored and events numbered so far: after a run, numbered must catch up with stored (the sequencer works).</summary>
    public async Task<(long Stored, long Numbered)> EventsAsync()
    {
        await using var db = new NpgsqlConnection(ConnectionString("relay"));
        await db.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM event_numbers)", db);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Machine.RunAsync($"{Bin}/pg_ctl", ["-D", _dir, "-m", "immediate", "stop"], "postgres");
        }
        finally
        {
            if ((Statements || ExtraOptions != "") && File.Exists($"{_dir}/log"))
            {
                // Statements slower than 5 ms, with their plans (auto_explain), for reading after the run.
                File.Copy($"{_dir}/log", Path.Combine(Path.GetTempPath(), "bloonio-bench-postgres.log"), overwrite: true);
            }

            Directory.Delete(_dir, recursive: true);
        }
    }
}

/// <summary>A redis-server of the benchmark's own on a free port.</summary>
public sealed class PrivateRedis : IAsyncDisposable
{
    private Process? _process;

    public int Port { get; } = Machine.FreePort();

    public async Task StartAsync()
    {
        var start = new ProcessStartInfo("redis-server") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--port", Port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(a);
        }

        _process = Process.Start(start)!;
        while (await _process.StandardOutput.ReadLineAsync() is { } line)
        {
            if (line.Contains("Ready to accept connections", StringComparison.Ordinal))
            {
                _ = _process.StandardOutput.ReadToEndAsync();
                return;
            }
        }

        throw new InvalidOperationException("redis-server did not start");
    }

    public int Pid => _process!.Id;

    public ValueTask DisposeAsync()
    {
        _process?.Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}

/// <summary>A .NET server of the benchmark (the relay or the baselines) as a child process, with the memory probe loaded.</summary>
public sealed class Server : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _probe = Path.Combine(Path.GetTempPath(), $"bloonio-bench-probe-{Guid.NewGuid():N}.sock");

    private Server(string dll, int port, IReadOnlyDictionary<string, string> environment)
    {
        Port = port;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        start.Environment["ASPNETCORE_URLS"] = Url;
        start.Environment["DOTNET_STARTUP_HOOKS"] = Path.Combine(AppContext.BaseDirectory, "Bloonio.Relay.Bench.Probe.dll");
        start.Environment["BENCH_PROBE"] = _probe;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        foreach (var name in new[] { "DOTNET_ThreadPool_UnfairSemaphoreSpinLimit", "DOTNET_gcServer", "DOTNET_GCgen0size" })
        {
            if (Environment.GetEnvironmentVariable("BENCH_" + name) is { } value)
            {
                start.Environment[name] = value; // experiments with runtime settings
            }
        }

        if (Environment.GetEnvironmentVariable("BENCH_PERFMAP") == "1")
        {
            start.Environment["DOTNET_PerfMapEnabled"] = "1"; // symbols of JIT-compiled code for `perf record`
            start.Environment["DOTNET_EnableWriteXorExecute"] = "0"; // else JIT code runs from a memfd perf cannot map
        }
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        _process = Process.Start(start)!;
        _ = CountErrorsAsync(_process.StandardOutput);
        Errors = _process.StandardError.ReadToEndAsync();
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    /// <summary>The relay's GC so far, from its /metrics (.NET's runtime metrics): seconds paused, gen2 collections.</summary>
    public async Task<(double PauseSeconds, long Gen2)> GcAsync()
    {
        using var http = new HttpClient();
        var (pause, gen2) = (0.0, 0L);
        foreach (var line in (await http.GetStringAsync($"{Url}/metrics")).Split('\n'))
        {
            var value = line.Split(' ') is [_, var v, ..] && double.TryParse(v, System.Globalization.CultureInfo.InvariantCulture, out var d) ? d : 0;
            if (line.StartsWith("dotnet_gc_pause_time_seconds"))
            {
                pause += value;
            }
            else if (line.StartsWith("dotnet_gc_collections") && line.Contains("gen2"))
            {
                gen2 += (long)value;
            }
        }

        return (pause, gen2);
    }

    public int Pid => _process.Id;

    /// <summary>Every server this run started, for the report of their logged errors.</summary>
    public static List<Server> Started { get; } = [];

    public string Name { get; private init; } = "";

    /// <summary>Errors the server logged (console lines "fail:"/"crit:"), with the first one: a figure from a server that
    /// was failing is no figure, so the report shows them.</summary>
    public int LoggedErrors => _loggedErrors;

    public string? FirstLoggedError { get; private set; }

    private int _loggedErrors;

    private async Task CountErrorsAsync(StreamReader output)
    {
        var capture = new List<string>();
        while (await output.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("fail:", StringComparison.Ordinal) || line.StartsWith("crit:", StringComparison.Ordinal))
            {
                if (Interlocked.Increment(ref _loggedErrors) == 1)
                {
                    capture.Add(line);
                }
            }
            else if (capture.Count is > 0 and < 6)
            {
                capture.Add(line.Trim()); // the message and the exception's first lines
                FirstLoggedError = string.Join(" ", capture);
            }
        }
    }

    public Task<string> Errors { get; }

    public static async Task<Server> StartAsync(string dll, IReadOnlyDictionary<string, string> environment, int? port = null)
    {
        var server = new Server(dll, port ?? Machine.FreePort(), environment) { Name = Path.GetFileNameWithoutExtension(dll) };
        lock (Started)
        {
            Started.Add(server);
        }

        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (server._process.HasExited)
            {
                throw new InvalidOperationException($"{Path.GetFileName(dll)} exited: {await server.Errors}");
            }

            try
            {
                if ((await http.GetAsync($"{server.Url}/healthz")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Path.GetFileName(dll)} did not answer /healthz");
    }

    public double CpuSeconds() => Machine.CpuSeconds(Pid);

    /// <summary>The live managed heap (after a full collection) and the resident set, from the startup-hook probe.</summary>
    public async Task<(long Heap, long Rss)> MemoryAsync()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(_probe));
        var buffer = new byte[256];
        var read = await socket.ReceiveAsync(buffer);
        var parts = System.Text.Encoding.ASCII.GetString(buffer, 0, read).Trim().Split(' ');
        return (long.Parse(parts[0]), long.Parse(parts[1]));
    }

    /// <summary>SIGTERM, as an orchestrator stops a node; waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            await Machine.RunAsync("kill", ["-TERM", Pid.ToString()]);
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        File.Delete(_probe);
    }
}

/// <summary>
/// The host's page-cache writeback, as docs/operations.md sets it for a database host: the kernel starts writing dirty
/// pages back once 32 MB are dirty (vm.dirty_background_bytes), instead of at 10 % of memory. PostgreSQL 15 extends a
/// table by writing zeroed pages that nothing flushes until a checkpoint; by default they piled up to 200 MB under P2's
/// load and the kernel wrote each file's pages back at once when they turned 30 s old, and the WAL's flush waited
/// 50–80 ms behind that (P2's last stall). Set for the run when the bench runs as root, and put back when it ends;
/// BENCH_HOST_WRITEBACK=0 leaves the host as it is.
/// </summary>
public sealed class HostWriteback : IDisposable
{
    private const string Bytes = "/proc/sys/vm/dirty_background_bytes";
    private const string Ratio = "/proc/sys/vm/dirty_background_ratio";
    private readonly (string Bytes, string Ratio)? _before;
    private int _restored;

    private HostWriteback((string, string)? before) => _before = before;

    /// <summary>What the run measured under, for the report.</summary>
    public string Description { get; private init; } = "";

    public static HostWriteback Limit(long bytes)
    {
        var current = $"vm.dirty_background_bytes {Read(Bytes)}, vm.dirty_background_ratio {Read(Ratio)}";
        if (!Machine.IsRoot || Environment.GetEnvironmentVariable("BENCH_HOST_WRITEBACK") == "0" || !File.Exists(Bytes))
        {
            return new HostWriteback(null) { Description = $"host writeback left as it is ({current})" };
        }

        var limit = new HostWriteback((Read(Bytes), Read(Ratio)))
        {
            Description = $"host writeback from {bytes / (1024 * 1024)} MB dirty for the run (vm.dirty_background_bytes; before: {current})",
        };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => limit.Dispose();
        File.WriteAllText(Bytes, bytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return limit;
    }

    /// <summary>Puts the host's setting back (also called on process exit; once is enough).</summary>
    public void Dispose()
    {
        if (_before is not { } before || Interlocked.Exchange(ref _restored, 1) == 1)
        {
            return;
        }

        // The two settings exclude each other: writing one zeroes the other, so the one that was in force is written back.
        File.WriteAllText(before.Bytes != "0" ? Bytes : Ratio, before.Bytes != "0" ? before.Bytes : before.Ratio);
    }

    private static string Read(string path) => File.Exists(path) ? File.ReadAllText(path).Trim() : "?";
}
