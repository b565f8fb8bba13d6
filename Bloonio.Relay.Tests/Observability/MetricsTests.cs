using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Observability;

/// <summary>
/// <c>/metrics</c> in Prometheus' text format, without any credential: after a conversation, the relay's meters carry
/// sensible values next to ASP.NET Core's, SignalR's and the runtime's; and one summary line per REST call is logged,
/// without secrets.
/// </summary>
public sealed partial class MetricsTests : HubTestBase
{
    [GeneratedRegex(@"^(?<name>[a-z_:][a-z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[-+0-9.eEInfNa]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    private static async Task<string> ScrapeAsync()
    {
        using var response = await RelayFactory.Shared.CreateClient().GetAsync("/metrics");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>The sum of a metric's samples whose labels contain every given label.</summary>
    private static double Sum(string text, string name, params string[] labels) =>
        Sample().Matches(text).Where(m => m.Groups["name"].Value == name && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [Test]
    public async Task AfterAConversationTheMetersMoveAndEveryFamilyIsThere()
    {
        var before = await ScrapeAsync();
        var session = await OpenSessionAsync("human", routingKey: "metrics");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["metrics"]));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        await InvokeAsync(visitor, "Send", new { client_message_id = "m1", text = "Hello" });
        var offer = await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == session.SessionId, TimeSpan.FromSeconds(10));
        await InvokeAsync(op, "Accept", new { assignment_id = offer.GetProperty("assignment_id").GetGuid() });
        await InvokeAsync(op, "Send", new { session_id = session.SessionId, client_message_id = "o1", text = "Hi!" });
        await RelayFactory.Shared.Services.GetRequiredService<EventDispatcher>().RunOnceAsync(default); // consumers take their cursors
        // Gauges read a snapshot at most 2 s old: scrape until one taken after the dispatch shows the consumers' lag.
        var after = await ScrapeAsync();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!after.Contains("relay_outbox_lag_events{", StringComparison.Ordinal) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
            after = await ScrapeAsync();
        }

        TestContext.Out.WriteLine(after);

        Assert.Multiple(() =>
        {
            Assert.That(Sum(after, "relay_messages_stored_total", "sender_type=\"visitor\"") - Sum(before, "relay_messages_stored_total", "sender_type=\"visitor\""),
                Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_messages_stored_total", "sender_type=\"operator\"") - Sum(before, "relay_messages_stored_total", "sender_type=\"operator\""),
                Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_messages_pushed_total", "audience=\"operator\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_hub_invocations_total", "method=\"Accept\"", "outcome=\"ok\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_hub_invocation_duration_seconds_count", "method=\"Send\""), Is.GreaterThanOrEqualTo(2));
            Assert.That(Sum(after, "relay_hub_connections", "hub=\"operator\""), Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_assignment_time_to_accept_seconds_count"), Is.GreaterThanOrEqualTo(1));
            Assert.That(Sum(after, "relay_postgres_up"), Is.EqualTo(1));
            Assert.That(after, Does.Contain("relay_queue_length"));
            Assert.That(after, Does.Contain("relay_outbox_lag_events"));
            Assert.That(after, Does.Match("(?m)^dotnet_gc_"));
        });
    }

    /// <summary>
    /// ASP.NET Core's, Kestrel's and SignalR's meters come from each host's own meter factory: checked on a host of its own
    /// (the shared test host's provider is one of many in this process).
    /// </summary>
    [Test]
    public async Task ThePlatformMetersAreServedBesideTheRelays()
    {
        await using var relay = new RelayFactory();
        var url = new Uri(relay.StartOnKestrel());
        var api = new RelayApi(url);
        var tenant = await api.CreateTenantAsync();
        var token = (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;
        await using var visitor = HubConnections.ForUrl(url, "/hubs/visitor", token, Microsoft.AspNetCore.Http.Connections.HttpTransportType.WebSockets);
        await visitor.StartReadyAsync("/hubs/visitor");
        using var http = new HttpClient { BaseAddress = url };
        var text = await http.GetStringAsync("/metrics");
        Assert.Multiple(() =>
        {
            Assert.That(text, Does.Contain("http_server_request_duration_seconds_bucket"));
            Assert.That(Sum(text, "signalr_server_active_connections"), Is.GreaterThanOrEqualTo(1));
            Assert.That(text, Does.Contain("kestrel_active_connections"));
        });
    }

    [Test]
    public async Task EachRestCallLogsOneSummaryLineWithoutSecrets()
    {
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        var line = RelayFactory.Shared.Logs.Lines.Last(l => l.Contains("Bloonio.Relay.Requests", StringComparison.Ordinal)
                                                               && l.Contains(Tenant.TenantId.ToString(), StringComparison.Ordinal));
        Assert.That(line, Does.Contain("GET /api/v1/relay/operators 200"));
        Assert.That(line, Does.Not.Contain(Tenant.Secret).And.Not.Contain("v1="), "no secret, no signature");
    }
}
