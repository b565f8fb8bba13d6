using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Bench;
using Microsoft.AspNetCore.SignalR.Client;

// bench/run.sh → this program. Everything runs on this machine, on loopback, against processes it starts itself:
// a private PostgreSQL, a private Redis, the relay (1 or 2 nodes) and the baselines (B1 bare SignalR, B2 raw WebSockets).
var options = Options.Parse(args);
if (options.Trace is not null)
{
    Environment.SetEnvironmentVariable("BENCH_PERFMAP", "1"); // servers started from here on write perf maps
}

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
GcLog.StartIfAsked(); // BENCH_GCLOG: the load generator's own GC pauses too
var root = Machine.RepositoryRoot();
var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name; // bin/<Configuration>/net10.0
string Dll(string project, string name) => Path.Combine(root, project, "bin", configuration, "net10.0", name);
var relayDll = Dll("Bloonio.Relay.Web", "Bloonio.Relay.Web.dll");
var baselinesDll = Dll("bench/Bloonio.Relay.Bench.Baselines", "Bloonio.Relay.Bench.Baselines.dll");
var report = new Report(options);
report.Note($"machine: {Environment.ProcessorCount} cores, {Machine.CpuModel()}, {Machine.MemoryBytes() / (1L << 30)} GiB; load average before: {Machine.LoadAverage()}");
report.Note($"run: {(options.Smoke ? "smoke" : "full")}, {options.Pairs} pairs, windows of {options.Measure.TotalSeconds:0} s after {options.Warmup.TotalSeconds:0} s of warm-up");

using var writeback = HostWriteback.Limit(32L * 1024 * 1024);
report.Note(writeback.Description);
// WAL as docs/operations.md sizes it: checkpoints from checkpoint_timeout rather than from the WAL's size at the top rate
// (about 20 MB/s under P1), and as many segments kept recycled, so none is created (zero-filled) while a commit waits.
await using var postgres = new PrivatePostgres(walMegabytes: options.Smoke ? 1024 : 4096);
await postgres.StartAsync();
report.Note($"PostgreSQL: its own instance, shared_buffers {PrivatePostgres.SharedBuffersMegabytes} MB, min/max_wal_size {postgres.WalMegabytes} MB, fsync and synchronous_commit on");
const string Origin = "https://shop.bench.test";
const int IdleWarmUp = 50; // connections open before the first measure of P3

// ── baselines (kept running: B1's latency is measured later, at the relay's rate) ───────────────────────────
await using var baselines = await Server.StartAsync(baselinesDll, new Dictionary<string, string>());
var skipped = new Window(0, 1, new Dictionary<string, double>());
var b1 = options.Runs("b1")
    ? await MeasureAsync("b1", "B1 bare SignalR", () => Parallel(options.Pairs, i => HubPair.BareAsync(baselines.Url, i)), baselines, null, fresh: true)
    : skipped;
var b2 = options.Runs("b2")
    ? await MeasureAsync("b2", "B2 raw WebSocket", () => Parallel(options.Pairs, i => RawPair.ConnectAsync(baselines.Url, i)), baselines, null)
    : skipped;
var b1Idle = options.Runs("p3") ? await IdleConnectionsAsync(baselines, i => HubPair.Connect($"{baselines.Url}/b1?pair=idle{i}&role=visitor", null)) : default;
(double P50, double P99, long Count) b1Latency = default;

// ── the relay, one node ─────────────────────────────────────────────────────────────────────────────────────
Window p1 = skipped, p1Many = skipped;
(double P50, double P99, long Count) p2 = default;
(long Heap, long Rss) relayIdle = default;
var rest = new Dictionary<string, double> { ["healthz"] = double.NaN, ["fetch/operator-token"] = double.NaN, ["widget/sessions"] = double.NaN };
double idleCpuPercent = double.NaN, idleTransactions = double.NaN, idleStatements = double.NaN;
await using (var relay = await Server.StartAsync(relayDll, RelayApi.Environment(postgres.ConnectionString("relay"))))
{
    using var api = new RelayApi(relay.Url);
    var tenant = await api.CreateTenantAsync("bench one tenant", Origin);

    // Idle node first, while nothing is pending: a tenant, nobody connected, nothing sent.
    if (options.Runs("idle"))
    {
        await postgres.AutovacuumAsync(on: false);
        // PostgreSQL flushes an idle backend's transaction counts up to 10 s late (PGSTAT_IDLE_INTERVAL): the set-up's
        // transactions must be counted before the window opens, not in it.
        await Task.Delay(TimeSpan.FromSeconds(Math.Max(options.Warmup.TotalSeconds, options.Smoke ? 0 : 12)));
        var rollbacks0 = await postgres.RollbacksAsync();
        var (cpu0, (tx0, _), statements0) = (relay.CpuSeconds(), await postgres.CountersAsync(), await postgres.StatementsAsync());
        var idleClock = Stopwatch.StartNew();
        await Task.Delay(options.Idle);
        var (cpu1, (tx1, _), statements1) = (relay.CpuSeconds(), await postgres.CountersAsync(), await postgres.StatementsAsync());
        report.Note($"idle: {await postgres.RollbacksAsync() - rollbacks0} of the window's transactions were rolled back");
        await postgres.AutovacuumAsync(on: true);
        idleStatements = (statements1 - statements0) / idleClock.Elapsed.TotalSeconds;
        idleCpuPercent = 100 * (cpu1 - cpu0) / idleClock.Elapsed.TotalSeconds;
        idleTransactions = Math.Max(0, tx1 - tx0 - 1) / idleClock.Elapsed.TotalSeconds; // the first counter query is one
    }

    if (options.Runs("p1"))
    {
        p1 = await MeasureAsync("p1", "P1 one tenant",
            () => Parallel(options.Pairs, i => HubPair.RelayAsync(api, tenant, $"one{i}", relay.Url, relay.Url)), relay, postgres, fresh: true);
    }

    if (options.Runs("many"))
    {
        var tenants = new List<Tenant>();
        for (var t = 0; t < options.Tenants; t++)
        {
            tenants.Add(await api.CreateTenantAsync($"bench tenant {t}", Origin));
        }

        p1Many = await MeasureAsync("many", $"P1 {options.Tenants} tenants",
            () => Parallel(options.Tenants, i => HubPair.RelayAsync(api, tenants[i], $"many{i}", relay.Url, relay.Url)), relay, postgres);
    }

    if (!options.Smoke && options.Runs("sweep"))
    {
        foreach (var pairs in new[] { 5, 10, 25, 100 })
        {
            var sweepTenant = await api.CreateTenantAsync($"bench sweep {pairs}", Origin);
            var sweep = await MeasureAsync("sweep", $"P1 sweep {pairs} pairs",
                () => Parallel(pairs, i => HubPair.RelayAsync(api, sweepTenant, $"sweep{pairs}-{i}", relay.Url, relay.Url)), relay, postgres);
            report.Sweep(pairs, sweep.Rate);
        }
    }

    // P2: open loop at half the relay's closed-loop rate, on the relay and on B1.
    // BENCH_P2_RATE=n: P2 at n msg/s instead (a diagnostic: the same rate for two versions of the relay).
    var rate = double.TryParse(Environment.GetEnvironmentVariable("BENCH_P2_RATE"), CultureInfo.InvariantCulture, out var fixedRate)
        ? fixedRate
        : Math.Max(10, p1.Rate / 2);
    report.Rate = rate;
    if (options.Runs("p2"))
    {
        await QuiesceAsync(postgres);
        var latencyTenant = await api.CreateTenantAsync("bench latency", Origin);
        var latencyPairs = await Parallel(options.Pairs, i => HubPair.RelayAsync(api, latencyTenant, $"lat{i}", relay.Url, relay.Url));
        var (gc0, wal0) = (await relay.GcAsync(), await postgres.WalFilesAsync());
        p2 = await Load.OpenLoopAsync(latencyPairs, rate, options.Warmup, options.Measure);
        var (gc1, wal1) = (await relay.GcAsync(), await postgres.WalFilesAsync());
        report.Note($"P2: {wal1.Except(wal0).Count()} WAL segments were created (not recycled) during the relay's run; " +
                    "each is zero-filled while a commit waits");
        report.Note($"P2: the relay's GC paused it {(gc1.PauseSeconds - gc0.PauseSeconds) * 1000:0} ms in all over the run " +
                    $"({options.Warmup.TotalSeconds + options.Measure.TotalSeconds:0} s), with {gc1.Gen2 - gc0.Gen2} gen2 collections");
        await DisposeAll(latencyPairs);
        var barePairs = await Parallel(options.Pairs, i => HubPair.BareAsync(baselines.Url, 1000 + i));
        b1Latency = await Load.OpenLoopAsync(barePairs, rate, options.Warmup, options.Measure);
        await DisposeAll(barePairs);
    }

    // P5: REST, 16 at a time, against /healthz.
    if (options.Runs("p5"))
    {
        var restTenant = await api.CreateTenantAsync("bench rest", Origin);
        await api.OperatorTokenAsync(restTenant, "rest@bench.test");
        rest["healthz"] = await RestAsync(api, () => new HttpRequestMessage(HttpMethod.Get, "/healthz"), "/healthz", relay, postgres);
        rest["fetch/operator-token"] = await RestAsync(api, () => api.SignedRequest(restTenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token",
            new { email = "rest@bench.test" }), "fetch/operator-token", relay, postgres);
        rest["widget/sessions"] = await RestAsync(api, () => api.WidgetSessionRequest(restTenant, Origin), "widget/sessions", relay, postgres);
    }

    // P3: idle authenticated visitors.
    if (options.Runs("p3"))
    {
        var idleTenant = await api.CreateTenantAsync("bench idle", Origin);
        var tokens = new List<string>();
        for (var i = 0; i < options.IdleConnections + IdleWarmUp; i++)
        {
            tokens.Add((await api.VisitorAsync(idleTenant, $"idle{i}")).Token);
        }

        relayIdle = await IdleConnectionsAsync(relay, i => HubPair.Connect($"{relay.Url}/hubs/visitor", tokens[i]));
    }

    var events = await postgres.EventsAsync();
    for (var wait = 0; wait < 100 && events.Numbered < events.Stored; wait++)
    {
        await Task.Delay(100); // the sequencer numbers what the last writes committed
        events = await postgres.EventsAsync();
    }

    report.Note($"events stored {events.Stored}, numbered {events.Numbered}{(events.Numbered < events.Stored ? " — WARNING: the sequencer fell behind" : "")}");
}

// ── P4: two nodes over Redis ────────────────────────────────────────────────────────────────────────────────
Window p4 = skipped, p4Local = skipped;
(double P50, double P99, long Count) crossNode = default, sameNode = default;
if (options.Runs("p4"))
{
    await using var redis = new PrivateRedis();
    await redis.StartAsync();
    var environment = RelayApi.Environment(postgres.ConnectionString("relay"), $"127.0.0.1:{redis.Port}");
    await using var a = await Server.StartAsync(relayDll, environment);
    await using var b = await Server.StartAsync(relayDll, environment);
    using var api = new RelayApi(a.Url);
    var tenant = await api.CreateTenantAsync("bench two nodes", Origin);
    p4 = await MeasureAsync("p4", "P4 two nodes", () => Parallel(options.Pairs, i => HubPair.RelayAsync(api, tenant, $"two{i}", a.Url, b.Url)),
        a, postgres, b, fresh: true, redis);
    // The same two nodes with every pair on one node (half on A, half on B): what two nodes cost on this machine without a
    // conversation crossing nodes (the backplane still carries every send).
    p4Local = await MeasureAsync("p4local", "P4 two nodes, pairs within a node", () => Parallel(options.Pairs, i =>
    {
        var node = i % 2 == 0 ? a.Url : b.Url;
        return HubPair.RelayAsync(api, tenant, $"local{i}", node, node);
    }), a, postgres, b, redis: redis);
    // At half of what the two nodes sustain, both ways: latency, not a queue (the one-node P2 rate may be beyond P4's).
    var rate = Math.Max(10, p4.Rate / 2);
    report.P4Rate = rate;
    await QuiesceAsync(postgres);
    var cross = await Parallel(options.Pairs, i => HubPair.RelayAsync(api, tenant, $"cross{i}", a.Url, b.Url));
    crossNode = await Load.OpenLoopAsync(cross, rate, options.Warmup, options.Measure);
    await DisposeAll(cross);
    await QuiesceAsync(postgres);
    var same = await Parallel(options.Pairs, i => HubPair.RelayAsync(api, tenant, $"same{i}", a.Url, a.Url));
    sameNode = await Load.OpenLoopAsync(same, rate, options.Warmup, options.Measure);
    await DisposeAll(same);
}

// ── P6: clients reconnecting after a node restart ───────────────────────────────────────────────────────────
(int Clients, double Seconds, int Failed) p6 = (options.ReconnectClients, double.NaN, 0);
if (options.Runs("p6"))
{
    var environment = RelayApi.Environment(postgres.ConnectionString("relay"));
    var relay = await Server.StartAsync(relayDll, environment);
    using var api = new RelayApi(relay.Url);
    var tenant = await api.CreateTenantAsync("bench reconnect", Origin);
    var connections = new List<Microsoft.AspNetCore.SignalR.Client.HubConnection>();
    for (var i = 0; i < options.ReconnectClients; i++)
    {
        var (_, token) = await api.VisitorAsync(tenant, $"storm{i}");
        var connection = new Microsoft.AspNetCore.SignalR.Client.HubConnectionBuilder()
            .WithUrl($"{relay.Url}/hubs/visitor", o =>
            {
                o.SkipNegotiation = true;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .WithAutomaticReconnect(new StormRetry())
            .Build();
        await connection.StartAsync();
        connections.Add(connection);
    }

    var clock = Stopwatch.StartNew();
    await relay.StopAsync();
    var stopped = clock.Elapsed.TotalSeconds;
    await relay.DisposeAsync();
    await using var restarted = await Server.StartAsync(relayDll, environment, relay.Port);
    var ready = clock.Elapsed;
    // Back = connected to the new node: counted from its readiness (a client the old node let back in while stopping
    // would otherwise look back already). No event says "all are back": the states are read every 50 ms.
    var giveUp = ready + TimeSpan.FromSeconds(120);
    while (connections.Any(c => c.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected) && clock.Elapsed < giveUp)
    {
        await Task.Delay(50);
    }

    p6 = (options.ReconnectClients, (clock.Elapsed - ready).TotalSeconds,
        connections.Count(c => c.State != Microsoft.AspNetCore.SignalR.Client.HubConnectionState.Connected));
    report.Note($"P6: the node took {stopped:0.0} s to stop (SIGTERM) and was ready again {ready.TotalSeconds:0.0} s after the stop began");
    foreach (var c in connections)
    {
        await c.DisposeAsync();
    }
}

foreach (var server in Server.Started.Where(s => s.LoggedErrors > 0))
{
    report.Note($"WARNING: {server.Name} (port {server.Port}) logged {server.LoggedErrors} errors; the first: {server.FirstLoggedError}");
}

report.Note($"load average after: {Machine.LoadAverage()}");
if (PrivatePostgres.Statements)
{
    Console.Error.WriteLine(await postgres.TopStatementsAsync());
}

report.P4Local = p4Local;
report.Print(b1, b2, p1, p1Many, b1Latency, p2, b1Idle, relayIdle, p4, crossNode, sameNode, rest, p6, idleCpuPercent, idleTransactions, idleStatements);
return 0;

// fresh: the first window of a server just started gets a longer warm-up, so that every side is measured with its code
// compiled by the JIT's optimizing tier (a cold node spends a quarter of its CPU in the JIT for its first seconds).
async Task<Window> MeasureAsync(string key, string name, Func<Task<List<Pair>>> connect, Server server, PrivatePostgres? db, Server? second = null,
    bool fresh = false, PrivateRedis? redis = null)
{
    if (db is not null)
    {
        await QuiesceAsync(db); // the background work of the last window (event consumers) must not be billed to this one
    }

    var pairs = await connect();
    var walMarks = new List<long>();
    try
    {
        Process? trace = null;
        var window = await Load.ClosedLoopAsync(pairs, fresh ? options.FreshWarmup : options.Warmup, options.Measure, async () =>
        {
            if (options.Trace == key && trace is null)
            {
                // A CPU profile of the server(s) over the measured window: `perf report -i /tmp/bench-KEY.perf.data`
                // (JIT-compiled frames are named through the perf maps the servers write under --trace).
                var pids = second is null ? $"{server.Pid}" : $"{server.Pid},{second.Pid}";
                trace = Process.Start("perf", ["record", "-e", "cpu-clock", "-F", "999", "-g", "-p", pids, "-o",
                    Path.Combine(Path.GetTempPath(), $"bench-{key}.perf.data"), "--", "sleep", $"{(int)options.Measure.TotalSeconds}"]);
            }

            var cost = new Dictionary<string, double>
            {
                ["server"] = server.CpuSeconds() + (second?.CpuSeconds() ?? 0),
                ["load"] = Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds, // the load generator (this process)
            };
            if (redis is not null)
            {
                cost["redis"] = Machine.CpuSeconds(redis.Pid);
            }

            if (db is not null)
            {
                var (transactions, wal, fpi) = await db.WalCountersAsync();
                cost["postgres"] = db.CpuSeconds();
                cost["transactions"] = transactions;
                cost["wal"] = wal;
                walMarks.Add(wal);
                cost["fpi"] = fpi;
            }

            return cost;
        });
        Console.Error.WriteLine($"{name}: {window.Rate:0} msg/s");
        if (PrivatePostgres.Wal && key == "p1" && db is not null && walMarks.Count >= 2)
        {
            Console.Error.WriteLine(await db.WalBreakdownAsync(walMarks[0], walMarks[^1], window.Delivered));
        }
        if (trace is not null)
        {
            await trace.WaitForExitAsync();
        }

        return window;
    }
    finally
    {
        await DisposeAll(pairs);
    }
}

// Waits until PostgreSQL has been (nearly) still for a second: the relay's background work has caught up.
static async Task QuiesceAsync(PrivatePostgres db)
{
    var deadline = DateTime.UtcNow.AddSeconds(120);
    var (last, _) = await db.CountersAsync();
    while (DateTime.UtcNow < deadline)
    {
        await Task.Delay(1000);
        var (now, _) = await db.CountersAsync();
        if (now - last <= 5)
        {
            return;
        }

        last = now;
    }
}

static async Task<List<Pair>> Parallel<T>(int count, Func<int, Task<T>> connect) where T : Pair
{
    var pairs = new List<Pair>();
    for (var i = 0; i < count; i += 10)
    {
        pairs.AddRange(await Task.WhenAll(Enumerable.Range(i, Math.Min(10, count - i)).Select(connect)));
    }

    return pairs;
}

static async Task DisposeAll(IEnumerable<Pair> pairs)
{
    foreach (var p in pairs)
    {
        await p.DisposeAsync();
    }
}

async Task<(long Heap, long Rss)> IdleConnectionsAsync(Server server, Func<int, Microsoft.AspNetCore.SignalR.Client.HubConnection> connect)
{
    // The cost of one more connection, not of the first: a few connections are opened (and kept) before the first
    // measure, so what a server allocates once on its first connections (instruments' metric points, pools, JIT'd
    // paths, caches) is in both measures and cancels out, for the relay and the baseline alike.
    var connections = new List<Microsoft.AspNetCore.SignalR.Client.HubConnection>();
    var warm = Enumerable.Range(options.IdleConnections, IdleWarmUp).Select(connect).ToList();
    await Task.WhenAll(warm.Select(c => c.StartAsync()));
    connections.AddRange(warm);
    var before = await server.MemoryAsync();
    for (var i = 0; i < options.IdleConnections; i += 50)
    {
        var batch = Enumerable.Range(i, Math.Min(50, options.IdleConnections - i)).Select(connect).ToList();
        await Task.WhenAll(batch.Select(c => c.StartAsync()));
        connections.AddRange(batch);
    }

    var after = await server.MemoryAsync();
    if (options.Trace == "p3")
    {
        // What the connections hold, by type: `dotnet-gcdump report /tmp/bench-p3-<server>.gcdump`.
        using var dump = Process.Start("dotnet-gcdump", ["collect", "-p", server.Pid.ToString(), "-o",
            Path.Combine(Path.GetTempPath(), $"bench-p3-{server.Name}.gcdump")]);
        await dump.WaitForExitAsync();
    }

    foreach (var c in connections)
    {
        await c.DisposeAsync();
    }

    return ((after.Heap - before.Heap) / options.IdleConnections, (after.Rss - before.Rss) / options.IdleConnections);
}

async Task<double> RestAsync(RelayApi api, Func<HttpRequestMessage> request, string name, Server server, PrivatePostgres db)
{
    var count = 0L;
    var failures = 0L;
    var measuring = 0;
    using var stop = new CancellationTokenSource();
    var workers = Enumerable.Range(0, 16).Select(async _ =>
    {
        await Task.Yield();
        while (!stop.IsCancellationRequested)
        {
            using var response = await api.Http.SendAsync(request());
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
            }
            else if (Volatile.Read(ref measuring) == 1)
            {
                Interlocked.Increment(ref count);
            }
        }
    }).ToList();
    await Task.Delay(options.Warmup);
    // --trace widget/sessions (or any P5 name): a CPU profile of the relay over the window, as MeasureAsync's.
    using var trace = options.Trace == name
        ? Process.Start("perf", ["record", "-e", "cpu-clock", "-F", "999", "-g", "-p", $"{server.Pid}", "-o",
            Path.Combine(Path.GetTempPath(), $"bench-{name.Replace('/', '-')}.perf.data"), "--", "sleep", $"{(int)options.Measure.TotalSeconds}"])
        : null;
    var (serverCpu, dbCpu) = (server.CpuSeconds(), db.CpuSeconds());
    var clock = Stopwatch.StartNew();
    Interlocked.Exchange(ref measuring, 1);
    await Task.Delay(options.Measure);
    if (trace is not null)
    {
        await trace.WaitForExitAsync();
    }

    Interlocked.Exchange(ref measuring, 0);
    var rate = Interlocked.Read(ref count) / clock.Elapsed.TotalSeconds;
    var requests = Math.Max(1, Interlocked.Read(ref count));
    report.Note($"P5 {name}: CPU per request, relay {1e6 * (server.CpuSeconds() - serverCpu) / requests:0} µs, " +
                $"PostgreSQL {1e6 * (db.CpuSeconds() - dbCpu) / requests:0} µs");
    stop.Cancel();
    await Task.WhenAll(workers);
    if (failures > 0)
    {
        throw new InvalidOperationException($"{failures} REST requests failed");
    }

    return rate;
}

/// <summary>Reconnect at once, then every 200 ms, for a minute: the time measured is the relay's, not the policy's.</summary>
internal sealed class StormRetry : Microsoft.AspNetCore.SignalR.Client.IRetryPolicy
{
    public TimeSpan? NextRetryDelay(Microsoft.AspNetCore.SignalR.Client.RetryContext context) =>
        context.ElapsedTime > TimeSpan.FromMinutes(1) ? null : context.PreviousRetryCount == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(200);
}
