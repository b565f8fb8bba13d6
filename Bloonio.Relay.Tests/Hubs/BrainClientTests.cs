using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>The relay against a real (fake) brain over HMAC#2 on Kestrel: answers, escalation, failure and time-out.</summary>
[NonParallelizable]
public sealed class BrainClientTests
{
    private FakeBrain _brain = null!;
    private string _database = null!;
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;
    private TestTenant _tenant = null!;
    private readonly List<HubConnection> _connections = [];

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _brain = await FakeBrain.StartAsync();
        // A database of its own: the bot lane's work is shared by every node on a database, and the shared relay's
        // brain is the development one.
        _database = await TestDatabase.CreateExtraAsync("brainclient");
        _relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Relay"] = _database,
            ["Relay:Brain:BaseUrl"] = _brain.BaseUrl.ToString(),
            ["Relay:Brain:KeyId"] = FakeBrain.KeyId,
            ["Relay:Brain:Secret"] = FakeBrain.Secret,
            ["Relay:Brain:TimeoutSeconds"] = "1",
        });
        _api = new RelayApi(_relay);
        _tenant = await _api.CreateTenantAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        foreach (var c in _connections)
        {
            await c.DisposeAsync();
        }

        await _relay.DisposeAsync();
        await _brain.DisposeAsync();
        await TestDatabase.DropExtraAsync(_database);
    }

    /// <summary>
    /// The brain answers at the start of each test: a test that left it slow would have the relay's background work
    /// (a ticket for an earlier escalation) take the breaker's half-open probe and open it again.
    /// </summary>
    [SetUp]
    public void AHealthyBrain()
    {
        _brain.Mode = FakeBrain.Behaviour.Answer;
        _brain.PersistenceDown = false;
    }

    /// <summary>Every request the relay sent verified; on failure, the relay's warnings and errors say why.</summary>
    [TearDown]
    public void SignaturesWereAlwaysValid() =>
        Assert.That(_brain.BadSignatures, Is.Zero, string.Join("\n", _relay.Logs.Lines.Where(l => l.StartsWith("Warning", StringComparison.Ordinal) || l.StartsWith("Error", StringComparison.Ordinal))));

    private async Task<(HubConnection Visitor, Guid SessionId)> VisitorAsync(string mode = "bot", TestTenant? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", (tenant ?? _tenant).WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        var data = (await _api.SendAsync(request)).ShouldBe(201).Data;
        var connection = HubConnections.ForTestServer(_relay.Server, "/hubs/visitor", data.GetProperty("visitor_token").GetString());
        _connections.Add(connection);
        await connection.StartReadyAsync("/hubs/visitor");
        return (connection, Guid.Parse(data.GetProperty("session_id").GetString()!));
    }

    [Test]
    public async Task TheBrainsReplyComesBackAsABotMessage()
    {
        _brain.Mode = FakeBrain.Behaviour.Answer;
        var (visitor, sessionId) = await VisitorAsync();
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "a", text = "Where is my parcel?" });

        var bot = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot");
        Assert.That(bot.GetProperty("text").GetString(), Is.EqualTo("Brain says: Where is my parcel?"));
        var (path, body) = _brain.Received.Last(r => r.Path.EndsWith("/reply", StringComparison.Ordinal));
        Assert.That(path, Is.EqualTo($"/internal/v1/sessions/{sessionId}/reply"));
        Assert.That(body.GetProperty("tenant_id").GetGuid(), Is.EqualTo(_tenant.TenantId));
        Assert.That(body.GetProperty("message").GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task TheBrainEscalatesAndTheTicketIsKept()
    {
        _brain.Mode = FakeBrain.Behaviour.Escalate;
        var (visitor, sessionId) = await VisitorAsync();
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "e", text = "Refund please" });

        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting");
        var session = (await _api.SignedAsync(_tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("ticket_id").GetString(), Does.StartWith("T-"));
        Assert.That(session.GetProperty("assignment").GetProperty("status").GetString(), Is.EqualTo("waiting"));
    }

    [TestCase(FakeBrain.Behaviour.Fail)]
    [TestCase(FakeBrain.Behaviour.Slow)]
    public async Task ADeadOrSlowBrainHandsTheVisitorToAHuman(FakeBrain.Behaviour behaviour)
    {
        _brain.Mode = behaviour;
        var (visitor, sessionId) = await VisitorAsync();
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        var ack = await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "d", text = "Hello?" });
        Assert.That(ack.GetProperty("seq").GetInt32(), Is.EqualTo(1), "stored and acknowledged without waiting for the brain");

        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting", TimeSpan.FromSeconds(20));
        var session = (await _api.SignedAsync(_tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("status").GetString(), Is.EqualTo("waiting"));
    }

    [Test]
    public async Task TheJournalIsForwardedToTheBrainAtLeastOnceInOrder()
    {
        // A tenant of its own (the other tests' tenant may be in a back-off already), and the brain down before the
        // messages exist: the dispatcher's own loops (woken by the messages) and the test's passes then all meet the
        // same failure and the same back-off, whichever runs first. (The brain's breaker may be open after the other
        // tests: then the call fails without reaching the brain, which is the same failure to the dispatcher.)
        _brain.PersistenceDown = true;
        var tenant = await _api.CreateTenantAsync();
        var (visitor, sessionId) = await VisitorAsync("human", tenant);
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "p1", text = "one" });
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "p2", text = "two" });
        var dispatcher = _relay.Services.GetRequiredService<EventDispatcher>();
        var persisted = () => _brain.Received
            .Where(r => r.Path == $"/internal/v1/sessions/{sessionId}/messages")
            .SelectMany(r => r.Body.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt32())).ToList();

        await dispatcher.RunOnceAsync(default);
        await Eventually.HoldsAsync(
            () => _relay.Logs.Lines.Any(l => l.Contains($"brain.persistence failed for tenant {tenant.TenantId}", StringComparison.Ordinal)),
            "the batch failed while the brain was down");
        _brain.PersistenceDown = false;
        var failedAttempts = persisted().Count;
        await dispatcher.RunOnceAsync(default);
        Assert.That(persisted().Count, Is.EqualTo(failedAttempts), "a failed batch waits for its back-off");

        _relay.Clock.Set(DateTimeOffset.UtcNow.AddSeconds(30));
        try
        {
            // A background loop may hold the lease when a pass of the test runs: pass until the batch is in.
            await Eventually.HoldsAsync(async () =>
            {
                await dispatcher.RunOnceAsync(default);
                return persisted().Count >= failedAttempts + 2;
            }, "the batch was delivered after its back-off");
        }
        finally
        {
            _relay.Clock.Resume();
        }

        var seqs = persisted().Skip(failedAttempts).ToList();
        Assert.That(seqs, Is.EqualTo(new[] { 1, 2 }), "delivered once after the retry, in order");
    }

    [Test]
    public async Task TheHumanLaneDoesNotWaitForASlowBrain()
    {
        _brain.Mode = FakeBrain.Behaviour.Slow;
        var (botVisitor, _) = await VisitorAsync();
        await botVisitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "s", text = "Anyone?" });

        var (humanVisitor, _) = await VisitorAsync("human");
        var ack = await humanVisitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "h", text = "Human please" })
            .WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(ack.GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }
}
