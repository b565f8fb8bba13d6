using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Faults;

/// <summary>
/// PostgreSQL away (a private instance this test stops): every answer says so (REST 503 dependency_unavailable with
/// Retry-After, hub "unavailable: …" on calls and as the close reason of a new connection), the log has one warning
/// for the outage and no error, and the node serves again once PostgreSQL is back.
/// </summary>
[NonParallelizable]
public sealed class PostgresOutageTests
{
    private PostgresServer _postgres = null!;
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _postgres = new PostgresServer();
        await _postgres.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Relay"] = _postgres.ConnectionString() });
        _api = new RelayApi(_relay);
    }

    [TearDown]
    public async Task StopAsync()
    {
        await _relay.DisposeAsync();
        await _postgres.DisposeAsync();
    }

    [Test]
    public async Task WhilePostgresIsDownEveryAnswerSaysSoAndTheNodeServesAgainWhenItIsBack()
    {
        var tenant = await _api.CreateTenantAsync();
        var session = await OpenSessionAsync(tenant);
        await using var visitor = HubConnections.ForTestServer(_relay.Server, "/hubs/visitor", session.Token, HttpTransportType.WebSockets);
        await visitor.StartReadyAsync("/hubs/visitor");
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "before", text = "Hello" });
        (await _api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        await ReadinessAsync(200, "listening");

        await _postgres.StopAsync();
        await ReadinessAsync(503, "lost");

        var rest = (await _api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(503, "dependency_unavailable");
        Assert.That(rest.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(5)));
        (await _api.WidgetSessionAsync(tenant)).ShouldBe(503, "dependency_unavailable");

        var send = Assert.ThrowsAsync<HubException>(() => visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "during", text = "Anyone?" }))!;
        Assert.That(send.Message, Does.Contain("unavailable: PostgreSQL is unreachable"));

        await using var late = HubConnections.ForTestServer(_relay.Server, "/hubs/visitor", session.Token, HttpTransportType.WebSockets);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        late.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };
        await late.StartAsync();
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(reason?.Message, Does.Contain("unavailable: PostgreSQL is unreachable"), "a new connection is told why it is closed");

        await _postgres.StartAsync();
        // No event says the pool reconnected: ask until it answers (bounded), as a client told Retry-After would.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await _api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators")).Status != System.Net.HttpStatusCode.OK)
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "REST answers again once PostgreSQL is back");
            await Task.Delay(100);
        }

        await ReadinessAsync(200, "listening");
        var after = await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "after", text = "Back?" });
        Assert.That(after.GetProperty("seq").GetInt32(), Is.EqualTo(2), "nothing was stored during the outage, nothing lost before it");

        var lines = _relay.Logs.Lines.ToList();
        Assert.Multiple(() =>
        {
            Assert.That(lines.Count(l => l.StartsWith("Warning") && l.Contains("PostgreSQL is unreachable")), Is.EqualTo(1),
                "one warning for the outage:\n" + string.Join('\n', lines.Where(l => l.Contains("PostgreSQL"))));
            Assert.That(lines.Where(l => l.StartsWith("Error") || l.StartsWith("Critical")), Is.Empty, "no error entry for an outage");
        });
    }

    /// <summary>
    /// Asks <c>/readyz</c> until it gives this status and notification state (bounded): the listener (re)connects on its
    /// own schedule, and a password-protected server must not keep it out (its connection string keeps the password).
    /// </summary>
    private async Task ReadinessAsync(int status, string notifications)
    {
        var deadline = DateTime.UtcNow.AddSeconds(40);
        while (true)
        {
            using var response = await _api.Http.GetAsync("/readyz");
            var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
            if ((int)response.StatusCode == status && body.GetProperty("notifications").GetString() == notifications)
            {
                return;
            }

            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), $"/readyz {status} with notifications {notifications}; last: {body}");
            await Task.Delay(100);
        }
    }

    private async Task<VisitorSession> OpenSessionAsync(TestTenant tenant)
    {
        var data = (await _api.WidgetSessionAsync(tenant)).ShouldBe(201).Data;
        return new VisitorSession(Guid.Parse(data.GetProperty("session_id").GetString()!), data.GetProperty("visitor_token").GetString()!);
    }
}
