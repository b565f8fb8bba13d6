using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Scaling;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Two relay nodes on one PostgreSQL and one real Redis: every cross-node path, Redis going away and back, a node dying.</summary>
[NonParallelizable]
public sealed class TwoNodeTests
{
    private RedisServer _redis = null!;
    private RelayFactory _a = null!;
    private RelayFactory _b = null!;
    private RelayApi _api = null!;
    private TestTenant _tenant = null!;
    private readonly List<HubConnection> _connections = [];

    [SetUp]
    public async Task SetUp()
    {
        _redis = new RedisServer();
        await _redis.StartAsync();
        _a = Node();
        _b = Node();
        foreach (var node in new[] { _a, _b })
        {
            // Started now (the factory would start each on first use), each with Redis up.
            await node.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        _api = new RelayApi(_a);
        _tenant = await _api.CreateTenantAsync();
    }

    [TearDown]
    public async Task TearDown()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }

        _connections.Clear();
        await _a.DisposeAsync();
        await _b.DisposeAsync();
        await _redis.DisposeAsync();
    }

    private RelayFactory Node() => new(new Dictionary<string, string?> { ["Relay:Redis"] = _redis.ConnectionString });

    private async Task<HubConnection> ConnectAsync(RelayFactory node, string path, string token, bool reconnect = false)
    {
        var connection = HubConnections.ForTestServer(node.Server, path, token,
            configure: reconnect ? b => b.WithAutomaticReconnect([TimeSpan.Zero, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)]) : null);
        _connections.Add(connection);
        await connection.StartReadyAsync(path);
        return connection;
    }

    private async Task<string> OperatorTokenAsync(string[]? keys = null, string? email = null)
    {
        email ??= $"node-{Guid.NewGuid():N}@example.com";
        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Node op", routing_keys = keys })).ShouldBe(201);
        return (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email })).ShouldBe(200)
            .Data.GetProperty("operator_token").GetString()!;
    }

    private async Task<(string Token, Guid SessionId)> VisitorTokenAsync(string? routingKey = null)
    {
        var data = (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = Guid.NewGuid().ToString(), mode = "human", routing_key = routingKey })).ShouldBe(200).Data;
        return (data.GetProperty("visitor_token").GetString()!, Guid.Parse(data.GetProperty("session_id").GetString()!));
    }

    private static Task<JsonElement> InvokeAsync(HubConnection c, string method, object args) =>
        c.InvokeAsync<JsonElement>(method, args).WaitAsync(TimeSpan.FromSeconds(10));

    [Test]
    public async Task AVisitorOnAAndAnOperatorOnBChatAsIfOnOneNode()
    {
        var operatorB = await ConnectAsync(_b, "/hubs/operator", await OperatorTokenAsync());
        var otherOperatorA = await ConnectAsync(_a, "/hubs/operator", await OperatorTokenAsync());
        var offers = HubEvents<JsonElement>.On(operatorB, "assignment_waiting");
        var removed = HubEvents<JsonElement>.On(otherOperatorA, "assignment_removed");
        var toOperator = HubEvents<JsonElement>.On(operatorB, "message");

        var (token, sessionId) = await VisitorTokenAsync();
        var visitorA = await ConnectAsync(_a, "/hubs/visitor", token);
        var toVisitor = HubEvents<JsonElement>.On(visitorA, "message");
        var states = HubEvents<JsonElement>.On(visitorA, "session_state");
        await InvokeAsync(visitorA, "Send", new { client_message_id = "1", text = "hello from node A" });

        var offer = await offers.NextAsync();
        Assert.That(offer.GetProperty("session_id").GetGuid(), Is.EqualTo(sessionId));
        await InvokeAsync(operatorB, "Accept", new { assignment_id = offer.GetProperty("assignment_id").GetGuid() });
        Assert.That((await removed.NextAsync()).GetProperty("reason").GetString(), Is.EqualTo("accepted"), "the other node's operator hears it");
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "assigned");

        await InvokeAsync(operatorB, "Send", new { session_id = sessionId, client_message_id = "b1", text = "hello from node B" });
        Assert.That((await toVisitor.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "operator")).GetProperty("text").GetString(),
            Is.EqualTo("hello from node B"));
        await InvokeAsync(visitorA, "Send", new { client_message_id = "2", text = "thanks" });
        Assert.That((await toOperator.WaitForAsync(m => m.GetProperty("text").GetString() == "thanks")).GetProperty("seq").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task AnAcceptRaceAcrossNodesHasOneWinner()
    {
        var operators = new List<HubConnection>();
        for (var i = 0; i < 6; i++)
        {
            operators.Add(await ConnectAsync(i % 2 == 0 ? _a : _b, "/hubs/operator", await OperatorTokenAsync()));
        }

        var offer = HubEvents<JsonElement>.On(operators[1], "assignment_waiting");
        var (token, _) = await VisitorTokenAsync();
        await InvokeAsync(await ConnectAsync(_a, "/hubs/visitor", token), "Send", new { client_message_id = "x", text = "race" });
        var assignmentId = (await offer.NextAsync()).GetProperty("assignment_id").GetGuid();

        var results = await Task.WhenAll(operators.Select(async o =>
        {
            try
            {
                await InvokeAsync(o, "Accept", new { assignment_id = assignmentId });
                return "accepted";
            }
            catch (HubException ex)
            {
                return ex.Message.Contains("already_assigned", StringComparison.Ordinal) ? "already_assigned" : ex.Message;
            }
        }));
        Assert.That(results, Has.Exactly(1).EqualTo("accepted").And.Exactly(5).EqualTo("already_assigned"));
    }

    [Test]
    public async Task ReplayProtectionAndRateLimitsHoldAcrossNodes()
    {
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{_tenant.TenantId}", new { quotas = new { backend_requests_per_minute = 3 } })).ShouldBe(200);
        var onB = new RelayApi(_b);
        var ts = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var now = DateTimeOffset.UtcNow;
        if (now.Second > 55)
        {
            ts -= 10_000; // keep every call inside one fixed window, whatever the second is
        }

        (await _api.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: ts)).ShouldBe(200);
        (await onB.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: ts)).ShouldBe(401, "replayed_request");
        (await onB.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: ts + 1)).ShouldBe(200);
        (await _api.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: ts + 2)).ShouldBe(200);
        var limited = await onB.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: ts + 3);
        Assert.That((int)limited.Status, Is.EqualTo(429), "the fourth call of the minute, on either node, is refused");
    }

    [Test]
    public async Task DeprovisioningOnAClosesTheOperatorOnBAndNewKeysRegroupIt()
    {
        var moverEmail = $"mover-{Guid.NewGuid():N}@example.com";
        var mover = await ConnectAsync(_b, "/hubs/operator", await OperatorTokenAsync(["store_a"], moverEmail));
        var offers = HubEvents<JsonElement>.On(mover, "assignment_waiting");
        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email = moverEmail, display_name = "Mover", routing_keys = new[] { "store_b" } })).ShouldBe(200);
        var (token, _) = await VisitorTokenAsync("store_b");
        await InvokeAsync(await ConnectAsync(_a, "/hubs/visitor", token), "Send", new { client_message_id = "k", text = "store b" });
        Assert.That((await offers.NextAsync()).GetProperty("routing_key").GetString(), Is.EqualTo("store_b"));

        var leaverEmail = $"leaver-{Guid.NewGuid():N}@example.com";
        var leaver = await ConnectAsync(_b, "/hubs/operator", await OperatorTokenAsync(null, leaverEmail));
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        leaver.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email = leaverEmail })).ShouldBe(200);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Test]
    public async Task RedisGoingAwayKeepsTheLocalLaneAndCrossNodeResumesWhenItIsBack()
    {
        var operatorA = await ConnectAsync(_a, "/hubs/operator", await OperatorTokenAsync());
        var operatorB = await ConnectAsync(_b, "/hubs/operator", await OperatorTokenAsync());
        var offersA = HubEvents<JsonElement>.On(operatorA, "assignment_waiting");
        var offersB = HubEvents<JsonElement>.On(operatorB, "assignment_waiting");

        await _redis.StopAsync();
        var (token, sessionId) = await VisitorTokenAsync();
        var visitorA = await ConnectAsync(_a, "/hubs/visitor", token);
        await InvokeAsync(visitorA, "Send", new { client_message_id = "down", text = "while Redis is down" });
        Assert.That((await offersA.NextAsync()).GetProperty("session_id").GetGuid(), Is.EqualTo(sessionId), "same-node lane keeps working");

        await _redis.StartAsync();
        foreach (var node in new[] { _a, _b })
        {
            await node.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var (token2, session2) = await VisitorTokenAsync();
        var visitor2 = await ConnectAsync(_a, "/hubs/visitor", token2);
        // Subscriptions come back with the connection; retry the cross-node probe a bounded number of times.
        for (var attempt = 0; ; attempt++)
        {
            await InvokeAsync(visitor2, "Typing", new { is_typing = true });
            await InvokeAsync(visitor2, "Send", new { client_message_id = $"up{attempt}", text = "Redis is back" });
            try
            {
                var offer = await offersB.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == session2, TimeSpan.FromSeconds(2));
                Assert.That(offer.GetProperty("session_id").GetGuid(), Is.EqualTo(session2));
                break;
            }
            catch (TimeoutException) when (attempt < 5)
            {
                await InvokeAsync(visitor2, "Close", new { });
                (token2, session2) = await VisitorTokenAsync();
                visitor2 = await ConnectAsync(_a, "/hubs/visitor", token2);
            }
        }
    }

    [Test]
    public async Task ANodeDyingLosesNoMessageAndClientsCatchUpElsewhere()
    {
        var (token, sessionId) = await VisitorTokenAsync();
        var visitorA = await ConnectAsync(_a, "/hubs/visitor", token);
        for (var i = 1; i <= 3; i++)
        {
            await InvokeAsync(visitorA, "Send", new { client_message_id = $"m{i}", text = $"message {i}" });
        }

        await _a.DisposeAsync(); // node A goes away with its connections
        _a = Node();
        var visitorB = await ConnectAsync(_b, "/hubs/visitor", token);
        await InvokeAsync(visitorB, "Send", new { client_message_id = "m4", text = "message 4 via node B" });
        var history = (await InvokeAsync(visitorB, "History", new { after_seq = 0 })).EnumerateArray().Select(m => m.GetProperty("seq").GetInt32());
        Assert.That(history, Is.EqualTo(new[] { 1, 2, 3, 4 }));
        Assert.That(sessionId, Is.Not.EqualTo(Guid.Empty));
    }

    [Test]
    public async Task AConnectionThatJoinedWhileRedisWasAwayReconnectsThroughTheBackplaneWhenItIsBack()
    {
        await _redis.StopAsync();
        var operatorB = await ConnectAsync(_b, "/hubs/operator", await OperatorTokenAsync(), reconnect: true);
        var offers = HubEvents<JsonElement>.On(operatorB, "assignment_waiting");
        var reconnected = Reconnected(operatorB);

        await _redis.StartAsync();
        await reconnected.WaitAsync(TimeSpan.FromSeconds(30)); // node B closed it once Redis was back, allowing a reconnect
        await operatorB.InvokeAsync<object>("ListMine").WaitAsync(TimeSpan.FromSeconds(10)); // its groups are joined before this returns
        await _a.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var (token, sessionId) = await VisitorTokenAsync();
        await InvokeAsync(await ConnectAsync(_a, "/hubs/visitor", token), "Send", new { client_message_id = "x", text = "from node A" });
        Assert.That((await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == sessionId)).GetProperty("session_id").GetGuid(),
            Is.EqualTo(sessionId), "the offer crossed from A to B through Redis");
    }

    [Test]
    public async Task ANodeStartedWhileRedisIsAwayServesAndJoinsTheClusterWhenRedisComes()
    {
        await _redis.StopAsync();
        await using var c = Node();
        var email = $"late-{Guid.NewGuid():N}@example.com";
        var operatorC = await ConnectAsync(c, "/hubs/operator", await OperatorTokenAsync(null, email), reconnect: true);
        var offers = HubEvents<JsonElement>.On(operatorC, "assignment_waiting");
        var (localToken, localSession) = await VisitorTokenAsync();
        await InvokeAsync(await ConnectAsync(c, "/hubs/visitor", localToken), "Send", new { client_message_id = "l", text = "same node" });
        Assert.That((await offers.NextAsync()).GetProperty("session_id").GetGuid(), Is.EqualTo(localSession), "served without Redis");

        var reconnected = Reconnected(operatorC);
        await _redis.StartAsync();
        await reconnected.WaitAsync(TimeSpan.FromSeconds(30));
        await operatorC.InvokeAsync<object>("ListMine").WaitAsync(TimeSpan.FromSeconds(10));
        await _a.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await c.Services.GetRequiredService<RedisConnection>().WhenConnectedAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var (token, sessionId) = await VisitorTokenAsync();
        await InvokeAsync(await ConnectAsync(_a, "/hubs/visitor", token), "Send", new { client_message_id = "y", text = "from node A" });
        // Generous: on a loaded machine (CI's two cores) the late node's re-subscription can take a while.
        Assert.That((await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == sessionId, TimeSpan.FromSeconds(30)))
            .GetProperty("session_id").GetGuid(), Is.EqualTo(sessionId), "the late node's backplane hears node A");

        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        operatorC.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        operatorC.Reconnecting += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };
        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email })).ShouldBe(200);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10)); // the cluster event, subscribed while Redis was away, arrived
    }

    private static Task Reconnected(HubConnection connection)
    {
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.Reconnected += _ =>
        {
            reconnected.TrySetResult();
            return Task.CompletedTask;
        };
        return reconnected.Task;
    }
}
