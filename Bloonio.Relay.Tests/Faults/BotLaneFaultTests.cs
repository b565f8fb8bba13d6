using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Faults;

/// <summary>
/// A brain that is slow, failing or gone never strands a bot visitor: each visitor message has a reply or a human queue
/// by its deadline, the brain's circuit opens and bot sessions then escalate at once, escalations without a ticket
/// get one when the brain is back, and bot work survives a restart. Each test has its own database: the bot lane's work
/// is shared by every node on a database, and the shared relay's brain is the development one.
/// </summary>
[NonParallelizable]
public sealed class BotLaneFaultTests
{
    private readonly List<IAsyncDisposable> _owned = [];
    private string _database = null!;
    private FakeBrain _brain = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _database = await TestDatabase.CreateExtraAsync("bot" + Guid.NewGuid().ToString("N")[..6]);
        _brain = await FakeBrain.StartAsync();
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned))
        {
            await owned.DisposeAsync();
        }

        _owned.Clear();
        await _brain.DisposeAsync();
        await TestDatabase.DropExtraAsync(_database);
    }

    private RelayFactory Relay(Dictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Relay"] = _database,
            ["Relay:Brain:BaseUrl"] = _brain.BaseUrl.ToString(),
            ["Relay:Brain:KeyId"] = FakeBrain.KeyId,
            ["Relay:Brain:Secret"] = FakeBrain.Secret,
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var relay = new RelayFactory(all);
        _owned.Add(relay);
        return relay;
    }

    private async Task<(HubConnection Visitor, Guid SessionId, HubEvents<JsonElement> States, HubEvents<JsonElement> Messages)> BotVisitorAsync(
        RelayFactory relay, TestTenant tenant)
    {
        var data = (await new RelayApi(relay).WidgetSessionAsync(tenant, "bot")).ShouldBe(201).Data;
        var visitor = HubConnections.ForTestServer(relay.Server, "/hubs/visitor", data.GetProperty("visitor_token").GetString());
        _owned.Add(visitor);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        await visitor.StartReadyAsync("/hubs/visitor");
        return (visitor, Guid.Parse(data.GetProperty("session_id").GetString()!), states, messages);
    }

    [Test]
    public async Task ASlowBrainLeavesNoVisitorWithoutAReplyOrAHuman()
    {
        // The brain never answers and its time-out is longer than the reply's deadline; two workers for six visitors:
        // the deadline (not the HTTP time-out, not a free worker) decides, for every one of them.
        _brain.Mode = FakeBrain.Behaviour.Slow;
        var relay = Relay(new()
        {
            ["Relay:Brain:TimeoutSeconds"] = "60", ["Relay:Bot:ReplyDeadlineSeconds"] = "2", ["Relay:Bot:Width"] = "2",
        });
        var tenant = await new RelayApi(relay).CreateTenantAsync();
        var visitors = new List<(HubConnection Visitor, Guid SessionId, HubEvents<JsonElement> States, HubEvents<JsonElement> Messages)>();
        for (var i = 0; i < 6; i++)
        {
            visitors.Add(await BotVisitorAsync(relay, tenant));
        }

        await Task.WhenAll(visitors.Select((v, i) => v.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = $"m{i}", text = "Hello?" })));

        foreach (var (_, sessionId, states, _) in visitors)
        {
            await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(20));
        }

        var api = new RelayApi(relay);
        foreach (var (_, sessionId, _, _) in visitors)
        {
            var session = (await api.SignedAsync(tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
            Assert.That(session.GetProperty("status").GetString(), Is.EqualTo("waiting"), $"session {sessionId} escalated");
        }
    }

    [Test]
    public async Task AFailingBrainOpensItsCircuitAndBotSessionsThenEscalateWithoutCallingIt()
    {
        _brain.Mode = FakeBrain.Behaviour.Fail;
        var relay = Relay(new() { ["Relay:Brain:TimeoutSeconds"] = "5" });
        var tenant = await new RelayApi(relay).CreateTenantAsync();
        for (var i = 0; i < 3; i++)
        {
            // Each fails twice (one retry of a 503): six failures, the circuit opens.
            var (visitor, _, states, _) = await BotVisitorAsync(relay, tenant);
            await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m", text = "Hello?" });
            await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(20));
        }

        var ready = await new RelayApi(relay).Http.GetAsync("/readyz");
        var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync()).RootElement;
        Assert.That(((int)ready.StatusCode, body.GetProperty("brain").GetString(), body.GetProperty("status").GetString()),
            Is.EqualTo((200, "open", "degraded")), "the node still serves; the brain's circuit is reported");

        var replyCalls = _brain.Received.Count(r => r.Path.EndsWith("/reply", StringComparison.Ordinal));
        var late = await BotVisitorAsync(relay, tenant);
        await late.Visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m", text = "Anyone?" });
        await late.States.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(5));
        Assert.That(_brain.Received.Count(r => r.Path.EndsWith("/reply", StringComparison.Ordinal)), Is.EqualTo(replyCalls),
            "with the circuit open, the brain is not called: the visitor goes to a human at once");
    }

    [Test]
    public async Task AnEscalationWithoutATicketGetsOneWhenTheBrainIsBack()
    {
        _brain.Mode = FakeBrain.Behaviour.Fail;
        var relay = Relay(new() { ["Relay:Brain:TimeoutSeconds"] = "5" });
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        var (visitor, sessionId, states, _) = await BotVisitorAsync(relay, tenant);
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m", text = "Hello?" });
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(20));
        var session = (await api.SignedAsync(tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("ticket_id").ValueKind, Is.EqualTo(JsonValueKind.Null), "escalated without a ticket: the brain was down");

        var dispatcher = relay.Services.GetRequiredService<EventDispatcher>();
        await dispatcher.RunOnceAsync(default); // the ticket consumer asks, the brain still fails: kept for its back-off
        _brain.Mode = FakeBrain.Behaviour.Answer;
        relay.Clock.Set(DateTimeOffset.UtcNow.AddMinutes(2)); // past the consumer's back-off and the circuit's break
        try
        {
            await dispatcher.RunOnceAsync(default);
        }
        finally
        {
            relay.Clock.Resume();
        }

        session = (await api.SignedAsync(tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("ticket_id").GetString(), Does.StartWith("T-"));
        var feed = (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/events?after=0&limit=100")).ShouldBe(200).Data;
        var created = feed.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "session.ticket_created").ToList();
        Assert.That(created.Select(e => e.GetProperty("data").GetProperty("ticket_id").GetString()),
            Is.EqualTo(new[] { session.GetProperty("ticket_id").GetString() }));
    }

    [Test]
    public async Task BotWorkSurvivesARestartOfTheNodeThatHeldIt()
    {
        _brain.Mode = FakeBrain.Behaviour.Slow;
        var settings = new Dictionary<string, string?> { ["Relay:Brain:TimeoutSeconds"] = "60", ["Relay:Bot:ReplyDeadlineSeconds"] = "60" };
        var first = Relay(settings);
        var tenant = await new RelayApi(first).CreateTenantAsync();
        var (visitor, sessionId, _, _) = await BotVisitorAsync(first, tenant);
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m", text = "Where is my parcel?" });
        await Eventually.HoldsAsync(() => _brain.Received.Any(r => r.Path == $"/internal/v1/sessions/{sessionId}/reply"),
            "the first node asked the brain");

        // The node stops while the brain thinks: it gives the work back; the next node answers it.
        _owned.Remove(visitor);
        await visitor.DisposeAsync();
        _owned.Remove(first);
        await first.DisposeAsync();
        _brain.Mode = FakeBrain.Behaviour.Answer;
        var second = Relay(settings);
        _ = second.Server; // started
        var api = new RelayApi(second);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var events = (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/events?after=0&limit=100")).ShouldBe(200).Data;
            if (events.GetProperty("events").EnumerateArray().Any(e => e.GetProperty("type").GetString() == "message.created"
                    && e.GetProperty("data").GetProperty("sender").GetProperty("type").GetString() == "bot"))
            {
                break;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "the restarted node answered the message the stopped one held");
            await Task.Delay(100); // no event tells the test; the feed is read until the reply is in it
        }
    }
}
