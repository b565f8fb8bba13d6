using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Scaling;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Concurrency;

/// <summary>
/// Each conflicting pair of transitions raced through the real hubs and REST, many rounds each, on two relay nodes
/// sharing one PostgreSQL and one Redis (visitors on node A, operators on node B, so live deliveries cross the backplane).
/// After each round: no 5xx or internal_error, only the refusals the contract names, the database's invariants, and what
/// the clients saw (every message after an accept reaches the new owner, none acknowledged after the close notice).
/// </summary>
[NonParallelizable]
public sealed class TransitionRaceTests
{
    private static readonly int Rounds = int.TryParse(Environment.GetEnvironmentVariable("RACE_ROUNDS"), out var n) ? n : 10;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);
    private RedisServer _redis = null!;
    private RelayFactory _a = null!;
    private RelayFactory _b = null!;
    private RelayApi _api = null!;
    private TestTenant _tenant = null!;
    private readonly List<HubConnection> _connections = [];
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("RACE_SEED"), out var seed) ? seed : Environment.TickCount;
    private readonly Random _jitter = new(Seed);

    [OneTimeSetUp]
    public async Task StartNodesAsync()
    {
        _redis = new RedisServer();
        await _redis.StartAsync();
        _a = new RelayFactory(new Dictionary<string, string?> { ["Relay:Redis"] = _redis.ConnectionString });
        _b = new RelayFactory(new Dictionary<string, string?> { ["Relay:Redis"] = _redis.ConnectionString });
        foreach (var node in new[] { _a, _b })
        {
            await node.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _api = new RelayApi(_a);
    }

    [OneTimeTearDown]
    public async Task StopNodesAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [SetUp]
    public async Task NewTenantAsync()
    {
        TestContext.Out.WriteLine($"RACE_SEED={Seed} RACE_ROUNDS={Rounds}");
        _tenant = await _api.CreateTenantAsync();
        // Rounds pile conversations on the same operators; the limit is raced only where a test sets an operator's own.
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{_tenant.TenantId}", new { max_concurrent = 100 })).ShouldBe(200);
    }

    [TearDown]
    public async Task CheckAndDisconnectAsync()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }

        _connections.Clear();
        await Invariants.CheckAsync(_tenant.TenantId);
    }

    [Test]
    public async Task CloseVersusAccept()
    {
        var (op, _) = await OperatorAsync();
        var closedForOperator = HubEvents<JsonElement>.On(op, "session_closed");
        for (var round = 0; round < Rounds; round++)
        {
            var w = await WaitingAsync();
            var (close, accept) = await RaceAsync(() => w.Visitor.InvokeAsync("Close"), () => Invoke(op, "Accept", new { assignment_id = w.Assignment }));
            Assert.That(close, Is.EqualTo("ok"));
            Assert.That(accept, Is.AnyOf("ok", "session_closed", "already_assigned"));
            if (accept == "ok")
            {
                await closedForOperator.WaitForAsync(e => e.GetProperty("session_id").GetGuid() == w.Session, Wait); // it won, then heard the close
            }

            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task CloseVersusTransferToAnOperator()
    {
        var (from, _) = await OperatorAsync();
        var (to, toId) = await OperatorAsync();
        var closedForTarget = HubEvents<JsonElement>.On(to, "session_closed");
        for (var round = 0; round < Rounds; round++)
        {
            var w = await AssignedAsync(from);
            var (close, transfer) = await RaceAsync(() => w.Visitor.InvokeAsync("Close"),
                () => Invoke(from, "Transfer", new { assignment_id = w.Assignment, operator_id = toId }));
            Assert.That(close, Is.EqualTo("ok"));
            Assert.That(transfer, Is.AnyOf("ok", "session_closed", "not_found"));
            if (transfer == "ok")
            {
                await closedForTarget.WaitForAsync(e => e.GetProperty("session_id").GetGuid() == w.Session, Wait); // the new owner hears the close
            }

            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task ReleaseVersusAccept()
    {
        var (holder, _) = await OperatorAsync();
        var (other, otherId) = await OperatorAsync();
        for (var round = 0; round < Rounds; round++)
        {
            var w = await AssignedAsync(holder);
            var (release, accept) = await RaceAsync(() => Invoke(holder, "Release", new { assignment_id = w.Assignment }),
                () => Invoke(other, "Accept", new { assignment_id = w.Assignment }));
            Assert.That(release, Is.EqualTo("ok"));
            Assert.That(accept, Is.AnyOf("ok", "already_assigned"));
            var owner = await OwnerAsync(w.Session);
            Assert.That(owner, accept == "ok" ? Is.EqualTo(otherId) : Is.Null, "released and taken, or released and waiting");
            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task TransferToAQueueVersusTheBackendsClose()
    {
        var (holder, _) = await OperatorAsync();
        for (var round = 0; round < Rounds; round++)
        {
            var w = await AssignedAsync(holder);
            var (transfer, close) = await RaceAsync(() => Invoke(holder, "Transfer", new { assignment_id = w.Assignment, routing_key = "elsewhere" }),
                async () => (await _api.SignedAsync(_tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{w.Session}/close")).ShouldBe(200));
            Assert.That(close, Is.EqualTo("ok"));
            Assert.That(transfer, Is.AnyOf("ok", "session_closed", "not_found"));
            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task HandBackVersusAVisitorMessage()
    {
        var (holder, _) = await OperatorAsync();
        var toHolder = HubEvents<JsonElement>.On(holder, "message");
        for (var round = 0; round < Rounds; round++)
        {
            var w = await AssignedAsync(holder);
            var toVisitor = HubEvents<JsonElement>.On(w.Visitor, "message");
            JsonElement ack = default;
            var (handBack, send) = await RaceAsync(() => Invoke(holder, "HandBack", new { assignment_id = w.Assignment }),
                async () => ack = await w.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "x", text = "what are your hours" }));
            Assert.That((handBack, send), Is.EqualTo(("ok", "ok")));
            var seq = ack.GetProperty("seq").GetInt32();
            await AcknowledgedIsStoredAsync(w.Session, ack, "x");
            var notice = (await Invariants.JournalAsync(w.Session)).Single(m => m.Text == "You are back with our assistant.").Seq;
            if (seq < notice)
            {
                await toHolder.WaitForAsync(m => m.GetProperty("session_id").GetGuid() == w.Session && m.GetProperty("seq").GetInt32() == seq, Wait);
            }
            else
            {
                await toVisitor.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot" && m.GetProperty("seq").GetInt32() > seq,
                    Wait); // after the hand-back the bot answers it
            }

            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task AVisitorMessageVersusAnAccept()
    {
        var (op, _) = await OperatorAsync();
        var toOperator = HubEvents<JsonElement>.On(op, "message");
        for (var round = 0; round < Rounds; round++)
        {
            var w = await WaitingAsync();
            JsonElement ack = default, accepted = default;
            var (send, accept) = await RaceAsync(
                async () => ack = await w.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "race", text = "are you there?" }),
                async () => accepted = await op.InvokeAsync<JsonElement>("Accept", new { assignment_id = w.Assignment }));
            Assert.That((send, accept), Is.EqualTo(("ok", "ok")));
            var seq = ack.GetProperty("seq").GetInt32();
            await AcknowledgedIsStoredAsync(w.Session, ack, "race");
            var inHistory = accepted.GetProperty("history").EnumerateArray().Any(m => m.GetProperty("seq").GetInt32() == seq);
            if (!inHistory)
            {
                await toOperator.WaitForAsync(m => m.GetProperty("session_id").GetGuid() == w.Session && m.GetProperty("seq").GetInt32() == seq, Wait);
            }

            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task AVisitorMessageVersusTheBackendsClose()
    {
        var (op, _) = await OperatorAsync();
        for (var round = 0; round < Rounds; round++)
        {
            var w = await AssignedAsync(op);
            JsonElement ack = default;
            var (send, close) = await RaceAsync(
                async () => ack = await w.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "last", text = "one more thing" }),
                async () => (await _api.SignedAsync(_tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{w.Session}/close")).ShouldBe(200));
            Assert.That(close, Is.EqualTo("ok"));
            Assert.That(send, Is.AnyOf("ok", "session_closed"));
            var journal = await Invariants.JournalAsync(w.Session);
            var notice = journal.Single(m => m.Text == "The conversation was closed.").Seq;
            Assert.That(journal.Where(m => m.Seq > notice), Is.Empty, "nothing is stored after the close notice");
            var retry = await Attempt(() => w.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "last", text = "one more thing" }));
            if (send == "ok")
            {
                await AcknowledgedIsStoredAsync(w.Session, ack, "last");
                Assert.That(ack.GetProperty("seq").GetInt32(), Is.LessThan(notice), "acknowledged before the close notice");
                Assert.That(retry, Is.EqualTo("ok"), "a retry of an acknowledged message gets its ack, even after the close");
            }
            else
            {
                Assert.That(retry, Is.EqualTo("session_closed"));
            }

            await Invariants.CheckAsync(_tenant.TenantId);
        }
    }

    [Test]
    public async Task TwoAcceptsOfOneOperatorAtItsLimit()
    {
        var email = $"one-{Guid.NewGuid():N}@example.com";
        var (tabA, _) = await OperatorAsync(maxConcurrent: 1, email: email, node: _a);
        var (tabB, _) = await OperatorAsync(maxConcurrent: 1, email: email, node: _b); // the same person, another tab, another node
        for (var round = 0; round < Rounds; round++)
        {
            var first = await WaitingAsync();
            var second = await WaitingAsync();
            var (one, two) = await RaceAsync(() => Invoke(tabA, "Accept", new { assignment_id = first.Assignment }),
                () => Invoke(tabB, "Accept", new { assignment_id = second.Assignment }));
            Assert.That(new[] { one, two }, Is.EquivalentTo(new[] { "ok", "max_concurrent_reached" }));
            await Invariants.CheckAsync(_tenant.TenantId);
            var won = one == "ok" ? first : second;
            await Invoke(one == "ok" ? tabA : tabB, "Close", new { assignment_id = won.Assignment, resolution = "done" });
        }
    }

    [Test]
    public async Task TransfersToAnOperatorWithRoomForOne()
    {
        var (from1, _) = await OperatorAsync();
        var (from2, _) = await OperatorAsync();
        var (target, targetId) = await OperatorAsync(maxConcurrent: 1);
        for (var round = 0; round < Rounds; round++)
        {
            var w1 = await AssignedAsync(from1);
            var w2 = await AssignedAsync(from2);
            var (one, two) = await RaceAsync(() => Invoke(from1, "Transfer", new { assignment_id = w1.Assignment, operator_id = targetId }),
                () => Invoke(from2, "Transfer", new { assignment_id = w2.Assignment, operator_id = targetId }));
            Assert.That(new[] { one, two }, Is.EquivalentTo(new[] { "ok", "max_concurrent_reached" }));
            var full = one == "ok" ? (from2, w2) : (from1, w1);
            Assert.That(await Attempt(() => Invoke(full.Item1, "Transfer", new { assignment_id = full.Item2.Assignment, operator_id = targetId })),
                Is.EqualTo("max_concurrent_reached"), "a full operator takes no transfer");
            await Invariants.CheckAsync(_tenant.TenantId);
            await Invoke(target, "Close", new { assignment_id = (one == "ok" ? w1 : w2).Assignment, resolution = "done" });
        }
    }

    public sealed record Waiting(HubConnection Visitor, Guid Session, Guid Assignment);

    /// <summary>A human-mode visitor on node A whose first message made a WAITING assignment.</summary>
    private async Task<Waiting> WaitingAsync()
    {
        var data = (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = Guid.NewGuid().ToString(), mode = "human" })).ShouldBe(200).Data;
        var session = Guid.Parse(data.GetProperty("session_id").GetString()!);
        var visitor = await ConnectAsync(_a, "/hubs/visitor", data.GetProperty("visitor_token").GetString()!);
        await Invoke(visitor, "Send", new { client_message_id = "first", text = "hello" });
        return new Waiting(visitor, session, await Invariants.OpenAssignmentAsync(session));
    }

    private async Task<Waiting> AssignedAsync(HubConnection op)
    {
        var w = await WaitingAsync();
        await Invoke(op, "Accept", new { assignment_id = w.Assignment });
        return w;
    }

    private async Task<(HubConnection Connection, Guid OperatorId)> OperatorAsync(int? maxConcurrent = null, string? email = null,
        RelayFactory? node = null)
    {
        email ??= $"race-{Guid.NewGuid():N}@example.com";
        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Racer", max_concurrent = maxConcurrent })).ShouldBeSuccess();
        var token = (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email })).ShouldBe(200).Data;
        return (await ConnectAsync(node ?? _b, "/hubs/operator", token.GetProperty("operator_token").GetString()!),
            Guid.Parse(token.GetProperty("operator_id").GetString()!));
    }

    private async Task<HubConnection> ConnectAsync(RelayFactory node, string path, string token)
    {
        var connection = HubConnections.ForTestServer(node.Server, path, token);
        _connections.Add(connection);
        await connection.StartReadyAsync(path);
        return connection;
    }

    private static async Task<Guid?> OwnerAsync(Guid sessionId)
    {
        await using var db = new Npgsql.NpgsqlConnection(TestDatabase.ConnectionString);
        return await Dapper.SqlMapper.QuerySingleOrDefaultAsync<Guid?>(db,
            "SELECT operator_id FROM assignments WHERE session_id = @sessionId AND status = 'assigned'", new { sessionId });
    }

    private static async Task AcknowledgedIsStoredAsync(Guid session, JsonElement ack, string clientMessageId)
    {
        var seq = ack.GetProperty("seq").GetInt32();
        Assert.That((await Invariants.JournalAsync(session)).Single(m => m.Seq == seq).ClientMessageId, Is.EqualTo(clientMessageId),
            "an acknowledged message is in the journal at its seq");
    }

    private static Task Invoke(HubConnection connection, string method, object args) =>
        connection.InvokeAsync<JsonElement>(method, args).WaitAsync(Wait);

    /// <summary>
    /// Both calls at once, one of them held back by a few milliseconds of busy spinning chosen per round (seeded): the
    /// two paths differ in length, and without a head start one side would nearly always win. Each outcome is "ok" or
    /// the relay's error code; a 5xx or internal_error fails the test.
    /// </summary>
    private async Task<(string, string)> RaceAsync(Func<Task> first, Func<Task> second)
    {
        var head = TimeSpan.FromMicroseconds(_jitter.Next(0, 6000));
        var firstWaits = _jitter.Next(2) == 0;
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var a = Task.Run(async () => { await go.Task; Spin(firstWaits ? head : TimeSpan.Zero); return await Attempt(first); });
        var b = Task.Run(async () => { await go.Task; Spin(firstWaits ? TimeSpan.Zero : head); return await Attempt(second); });
        go.SetResult();
        return (await a, await b);
    }

    private static void Spin(TimeSpan duration)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            Thread.SpinWait(50);
        }
    }

    private static async Task<string> Attempt(Func<Task> call)
    {
        try
        {
            await call().WaitAsync(Wait);
            return "ok";
        }
        catch (HubException ex)
        {
            var message = ex.Message;
            var at = message.IndexOf("HubException: ", StringComparison.Ordinal);
            var code = (at < 0 ? message : message[(at + "HubException: ".Length)..]).Split(':')[0];
            Assert.That(code, Is.Not.EqualTo("internal_error").And.Not.EqualTo("unavailable"), message);
            return code;
        }
    }
}
