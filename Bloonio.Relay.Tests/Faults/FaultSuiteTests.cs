using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Faults;

/// <summary>
/// The relay's promises under the faults of a real deployment, against relay processes (the Release build), a private
/// PostgreSQL and a private Redis that each test starts and breaks itself: conversations keep going (visitor↔operator
/// pairs on the official client, each message sent until acknowledged with the same client_message_id), and afterwards
/// the journal is checked: no acknowledged message lost, none stored or shown twice, no side left with a gap after it
/// caught up, no 500 from a REST prober running throughout, nothing logged as an error. Each scenario writes a row to
/// TestResults/faults.md (<c>scripts/faults.sh</c> runs only these and prints it).
/// </summary>
[Category("Faults")]
[NonParallelizable]
public sealed class FaultSuiteTests
{
    private const int Pairs = 8;
    private PostgresServer _postgres = null!;
    private RedisServer? _redis;
    private readonly List<RelayProcess> _nodes = [];

    [SetUp]
    public async Task StartAsync()
    {
        _postgres = new PostgresServer();
        await _postgres.StartAsync();
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        _nodes.Clear();
        if (_redis is not null)
        {
            await _redis.DisposeAsync();
            _redis = null;
        }

        await _postgres.DisposeAsync();
    }

    [Test]
    public async Task PostgresRestartedAndThenAwayForEightSecondsUnderTraffic()
    {
        var node = await NodeAsync();
        var api = new RelayApi(node.Url);
        var tenant = await TenantAsync(api);
        await using var traffic = await ChatTraffic.StartAsync(api, tenant, node.Url, node.Url, Pairs);
        await using var prober = RestProber.Start(api, tenant);
        await traffic.AckedAsync(20);

        await _postgres.StopAsync("fast");
        await _postgres.StartAsync();
        var restarted = Stopwatch.StartNew();
        await traffic.AckedAsync(20);
        var afterRestart = restarted.Elapsed;

        await _postgres.StopAsync("immediate");
        await Task.Delay(TimeSpan.FromSeconds(8)); // the outage itself
        await _postgres.StartAsync();
        var back = Stopwatch.StartNew();
        await traffic.AckedAsync(20);
        var afterOutage = back.Elapsed;

        var outcome = await FinishAsync(traffic, prober, node);
        Report("PostgreSQL restarted (fast), then crashed and away 8 s", outcome,
            $"acks again {afterRestart.TotalSeconds:0.0} s after the restart, {afterOutage.TotalSeconds:0.0} s after the outage; REST during it: {prober.Count(503)}× 503 with Retry-After");
        Assert.That(prober.Count(503), Is.GreaterThan(0), "the prober saw the outage as 503s");
        Assert.That(prober.RetryAfterMissing, Is.Zero, "every 503 says when to retry");
    }

    [Test]
    public async Task OneOfTwoNodesKilledAndRestartedOnItsPort()
    {
        var (a, b, traffic, prober) = await TwoNodesUnderTrafficAsync();
        await using var _ = traffic;
        await using var __ = prober;

        await a.KillAsync();
        await traffic.AckedAsync(10); // operators on B keep sending while A is gone
        var killed = new RelayProcess(a.Settings, a.Port);
        _nodes.Add(killed);
        await killed.StartAsync();
        var back = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => traffic.Disconnected == 0, "every visitor is back on the restarted node", TimeSpan.FromSeconds(60));
        var reconnected = back.Elapsed;
        await traffic.AckedAsync(40);

        var outcome = await FinishAsync(traffic, prober, b, killed);
        Report("one of two nodes killed (-9), restarted on its port", outcome,
            $"every visitor back {reconnected.TotalSeconds:0.0} s after the node answered again");
    }

    [Test]
    public async Task RedisAwayForTenSecondsBetweenTwoNodes()
    {
        var (a, b, traffic, prober) = await TwoNodesUnderTrafficAsync();
        await using var _ = traffic;
        await using var __ = prober;

        await _redis!.StopAsync();
        var down = await ReadyzAsync(a, "degraded");
        Assert.That(down.Status, Is.EqualTo(200), "Redis away leaves the node ready (degraded), not out of rotation");
        await traffic.AckedAsync(40); // messages are still stored and acknowledged on both nodes
        await Task.Delay(TimeSpan.FromSeconds(8)); // the rest of the outage
        await _redis.StartAsync();
        var back = Stopwatch.StartNew();
        await ReadyzAsync(a, "up");
        await ReadyzAsync(b, "up");
        var liveAgain = DateTime.UtcNow;
        await Eventually.HoldsAsync(() => traffic.LastCrossNodeUtc > liveAgain, "a visitor's message reaches its operator on the other node live again",
            TimeSpan.FromSeconds(30));
        var recovered = back.Elapsed;

        // SignalR's own Redis backplane logs one error per hub and node when its connection fails (RedisLog event 9);
        // the relay's warning says the same once. Anything else is an error.
        var outcome = await FinishAsync(traffic, prober, [a, b], e => e.Contains("RedisHubLifetimeManager[9]"));
        Report("Redis away 10 s between two nodes", outcome,
            $"ready (degraded) throughout; cross-node live delivery again {recovered.TotalSeconds:0.0} s after Redis restarted; what was missed came through History");
    }

    [Test]
    public async Task SigtermUnderTrafficDrainsAndAThousandClientsComeBack()
    {
        var node = await NodeAsync();
        var api = new RelayApi(node.Url);
        var tenant = await TenantAsync(api);
        await using var traffic = await ChatTraffic.StartAsync(api, tenant, node.Url, node.Url, Pairs);
        await using var crowd = await Crowd.ConnectAsync(api, tenant, node.Url, 1000);
        var sockets = await RawSockets.ConnectAsync(api, tenant, node.Url, 20);
        await traffic.AckedAsync(40);

        var drain = await node.TerminateAsync();
        var closes = await sockets.ClosesAsync();
        Assert.That(closes.Count(c => c is null), Is.Zero, "every WebSocket got a close frame (no 1006): " + string.Join(", ", closes));
        Assert.That(node.ExitCode, Is.Zero, "a drained node exits cleanly");

        var restarted = new RelayProcess(node.Settings, node.Port);
        _nodes.Add(restarted);
        await restarted.StartAsync();
        var back = Stopwatch.StartNew();
        await Eventually.HoldsAsync(() => crowd.Connected == crowd.Count && traffic.Disconnected == 0,
            "all the clients are connected to the restarted node", TimeSpan.FromSeconds(120));
        var reconnected = back.Elapsed;
        await traffic.AckedAsync(40);

        var outcome = await FinishAsync(traffic, null, node, restarted);
        Report("SIGTERM under traffic, 1 000 idle clients, restart on the same port", outcome,
            $"drained and exited in {drain.TotalSeconds:0.0} s, every socket closed with a close frame ({string.Join('/', closes.Distinct())}); all {crowd.Count + 2 * Pairs} clients back {reconnected.TotalSeconds:0.0} s after the restart");
    }

    /// <summary>Two nodes on a private Redis, visitors on A and their operators on B, conversations going.</summary>
    private async Task<(RelayProcess A, RelayProcess B, ChatTraffic Traffic, RestProber Prober)> TwoNodesUnderTrafficAsync()
    {
        _redis = new RedisServer();
        await _redis.StartAsync();
        var a = await NodeAsync(_redis.ConnectionString);
        var b = await NodeAsync(_redis.ConnectionString);
        var api = new RelayApi(b.Url);
        var tenant = await TenantAsync(api);
        var traffic = await ChatTraffic.StartAsync(api, tenant, visitorNode: a.Url, operatorNode: b.Url, Pairs);
        var prober = RestProber.Start(api, tenant);
        await traffic.AckedAsync(40);
        return (a, b, traffic, prober);
    }

    /// <summary>A tenant whose quotas are not what is being tested: the traffic, the prober and the crowd fit in them.</summary>
    private static async Task<TestTenant> TenantAsync(RelayApi api)
    {
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            quotas = new
            {
                concurrent_visitor_connections = 5000, backend_requests_per_minute = 100_000, visitor_messages_per_minute = 10_000,
                widget_sessions_per_minute = 10_000,
            },
        })).ShouldBe(200);
        return tenant;
    }

    private static async Task<string> VisitorTokenAsync(RelayApi api, TestTenant tenant) =>
        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = $"u-{Guid.NewGuid():N}", mode = "human" })).ShouldBe(200).Data.GetProperty("visitor_token").GetString()!;

    private async Task<RelayProcess> NodeAsync(string? redis = null)
    {
        var node = new RelayProcess(RelayProcess.Environment(_postgres.ConnectionString(), redis));
        _nodes.Add(node);
        await node.StartAsync(); // one at a time: the first applies the migrations
        return node;
    }

    private static async Task<(int Status, string Redis)> ReadyzAsync(RelayProcess node, string redis)
    {
        using var http = new HttpClient { BaseAddress = node.Url, Timeout = TimeSpan.FromSeconds(5) };
        (int, string) last = (0, "");
        await Eventually.HoldsAsync(() =>
        {
            using var response = http.GetAsync("/readyz").GetAwaiter().GetResult();
            var body = JsonDocument.Parse(response.Content.ReadAsStringAsync().GetAwaiter().GetResult()).RootElement;
            last = ((int)response.StatusCode, body.GetProperty("redis").GetString()!);
            return last.Item2 == redis;
        }, $"/readyz says redis {redis}", TimeSpan.FromSeconds(30));
        return last;
    }

    private Task<Outcome> FinishAsync(ChatTraffic traffic, RestProber? prober, params RelayProcess[] nodes) =>
        FinishAsync(traffic, prober, nodes, _ => false);

    private async Task<Outcome> FinishAsync(ChatTraffic traffic, RestProber? prober, RelayProcess[] nodes, Func<string, bool> expected)
    {
        await traffic.StopAsync();
        if (prober is not null)
        {
            await prober.DisposeAsync();
        }

        var (acked, stored, lost, duplicates, gaps) = await traffic.VerifyAsync(_postgres.ConnectionString());
        var errors = nodes.Concat(_nodes).Distinct().SelectMany(n => n.Errors).Where(e => !expected(e)).ToList();
        var outcome = new Outcome(acked, stored, lost, duplicates, gaps, traffic.Pending, prober?.Count(500) ?? 0, errors.Count);
        Assert.Multiple(() =>
        {
            Assert.That(acked, Is.GreaterThan(0), "the conversations went on");
            Assert.That(traffic.Pending, Is.Zero, "every message was acknowledged in the end");
            Assert.That(lost, Is.Zero, "acknowledged messages lost");
            Assert.That(duplicates, Is.Zero, "messages stored or acknowledged twice");
            Assert.That(gaps, Is.Zero, "seqs a side never saw, live or through History");
            Assert.That(stored, Is.EqualTo(acked), "what was stored is what was acknowledged");
            Assert.That(outcome.Rest500, Is.Zero, "REST answers of 500");
            Assert.That(errors, Is.Empty, "the nodes logged errors:\n" + string.Join('\n', errors.Take(20)));
        });
        return outcome;
    }

    private sealed record Outcome(int Acked, int Stored, int Lost, int Duplicates, int Gaps, int Pending, int Rest500, int Errors);

    private static readonly object ReportLock = new();

    private static void Report(string fault, Outcome o, string notes)
    {
        var row = $"| {fault} | {o.Acked} | {o.Lost} | {o.Duplicates} | {o.Gaps} | {o.Rest500} | {o.Errors} | {notes} |";
        TestContext.Out.WriteLine(row);
        var file = Path.Combine(TestPaths.RepositoryRoot(), "TestResults", "faults.md");
        lock (ReportLock)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            if (!File.Exists(file))
            {
                File.WriteAllText(file, "| fault | acknowledged | lost | duplicates | gaps | REST 500s | errors logged | notes |\n|---|---|---|---|---|---|---|---|\n");
            }

            File.AppendAllText(file, row + "\n");
        }
    }

    /// <summary>A tenant backend asking the relay something every 50 ms throughout, counting the answers' statuses.</summary>
    private sealed class RestProber : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<int, int> _statuses = new();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;

        public int RetryAfterMissing;

        public static RestProber Start(RelayApi api, TestTenant tenant)
        {
            var prober = new RestProber();
            prober._loop = prober.RunAsync(api, tenant);
            return prober;
        }

        public int Count(int status) => _statuses.GetValueOrDefault(status);

        private async Task RunAsync(RelayApi api, TestTenant tenant)
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var response = await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators");
                    _statuses.AddOrUpdate((int)response.Status, 1, (_, n) => n + 1);
                    if (response.Status == HttpStatusCode.ServiceUnavailable && response.Headers.RetryAfter is null)
                    {
                        Interlocked.Increment(ref RetryAfterMissing);
                    }
                }
                catch (HttpRequestException)
                {
                    _statuses.AddOrUpdate(0, 1, (_, n) => n + 1); // the node itself is away
                }

                try
                {
                    await Task.Delay(50, _stop.Token); // a prober's pace
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
        }
    }

    /// <summary>Idle visitors on the official client, reconnecting on their own (as the widget does).</summary>
    private sealed class Crowd : IAsyncDisposable
    {
        private readonly List<HubConnection> _connections = [];

        public int Count => _connections.Count;

        public int Connected => _connections.Count(c => c.State == HubConnectionState.Connected);

        public static async Task<Crowd> ConnectAsync(RelayApi api, TestTenant tenant, Uri node, int count)
        {
            var crowd = new Crowd();
            for (var i = 0; i < count; i++)
            {
                var token = await VisitorTokenAsync(api, tenant);
                var connection = HubConnections.ForUrl(node, "/hubs/visitor", token, HttpTransportType.WebSockets,
                    configure: b => b.WithAutomaticReconnect(new Spread()));
                crowd._connections.Add(connection);
                await connection.StartAsync();
            }

            return crowd;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (var connection in _connections)
            {
                await connection.DisposeAsync();
            }
        }

        /// <summary>Retries spread over a second (as the widget's jitter does), for two minutes.</summary>
        private sealed class Spread : IRetryPolicy
        {
            public TimeSpan? NextRetryDelay(RetryContext context) =>
                context.ElapsedTime > TimeSpan.FromMinutes(2) ? null : TimeSpan.FromMilliseconds(Random.Shared.Next(100, 1000));
        }
    }

    /// <summary>Raw WebSockets speaking SignalR's JSON protocol, to see how each connection ends.</summary>
    private sealed class RawSockets
    {
        private readonly List<Task<WebSocketCloseStatus?>> _ends = [];

        public static async Task<RawSockets> ConnectAsync(RelayApi api, TestTenant tenant, Uri node, int count)
        {
            var sockets = new RawSockets();
            for (var i = 0; i < count; i++)
            {
                var token = await VisitorTokenAsync(api, tenant);
                var socket = new ClientWebSocket();
                await socket.ConnectAsync(new Uri($"ws://{node.Authority}/hubs/visitor?access_token={Uri.EscapeDataString(token)}"), default);
                await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, default);
                sockets._ends.Add(ReadToEndAsync(socket));
            }

            return sockets;
        }

        /// <summary>Each socket's close status; null for a socket dropped without a close frame (1006).</summary>
        public async Task<IReadOnlyList<WebSocketCloseStatus?>> ClosesAsync() => await Task.WhenAll(_ends).WaitAsync(TimeSpan.FromSeconds(60));

        private static async Task<WebSocketCloseStatus?> ReadToEndAsync(ClientWebSocket socket)
        {
            using (socket)
            {
                var buffer = new byte[4096];
                try
                {
                    while (true)
                    {
                        var frame = await socket.ReceiveAsync(buffer, default);
                        if (frame.MessageType == WebSocketMessageType.Close)
                        {
                            return frame.CloseStatus;
                        }
                    }
                }
                catch (WebSocketException)
                {
                    return null;
                }
            }
        }
    }
}
