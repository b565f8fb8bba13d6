using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Abandonment when an operator's node dies, and the max_wait timeout, on a clock the test controls.</summary>
[NonParallelizable]
public sealed class SweepTests
{
    private static async Task<HubConnection> ConnectAsync(RelayFactory relay, string path, string token)
    {
        var connection = HubConnections.ForTestServer(relay.Server, path, token);
        await connection.StartReadyAsync(path);
        return connection;
    }

    private static async Task<string> OperatorTokenAsync(RelayApi api, TestTenant tenant)
    {
        var email = $"sweep-{Guid.NewGuid():N}@example.com";
        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Sweeper" })).ShouldBe(201);
        return (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
    }

    private static async Task<(HubConnection Visitor, Guid SessionId)> WaitingVisitorAsync(RelayFactory relay, RelayApi api, TestTenant tenant)
    {
        var data = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/session",
            new { external_user_id = Guid.NewGuid().ToString(), mode = "human" })).ShouldBe(201).Data.GetProperty("session");
        var visitor = await ConnectAsync(relay, "/hubs/visitor", data.GetProperty("visitor_token").GetString()!);
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "w", text = "waiting" }).WaitAsync(TimeSpan.FromSeconds(10));
        return (visitor, Guid.Parse(data.GetProperty("session_id").GetString()!));
    }

    [Test]
    public async Task AnOperatorWhoseNodeDiedLosesItsAssignmentsToTheQueue()
    {
        await using var survivor = new RelayFactory();
        var api = new RelayApi(survivor);
        var tenant = await api.CreateTenantAsync();
        var start = survivor.Clock.Freeze();

        var dying = new RelayFactory();
        dying.Clock.Set(start);
        var doomed = await ConnectAsync(dying, "/hubs/operator", await OperatorTokenAsync(api, tenant));
        var offers = HubEvents<JsonElement>.On(doomed, "assignment_waiting");
        var (_, sessionId) = await WaitingVisitorAsync(dying, new RelayApi(dying), tenant);
        await doomed.InvokeAsync<JsonElement>("Accept", new { assignment_id = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid() })
            .WaitAsync(TimeSpan.FromSeconds(10));
        await doomed.DisposeAsync();
        await dying.DisposeAsync(); // the node is gone; nobody refreshes that operator's heartbeat

        var rescuer = await ConnectAsync(survivor, "/hubs/operator", await OperatorTokenAsync(api, tenant));
        var reoffers = HubEvents<JsonElement>.On(rescuer, "assignment_waiting");
        survivor.Clock.Set(start.AddSeconds(121));
        var result = await survivor.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default);

        Assert.That(result.Abandoned, Is.GreaterThanOrEqualTo(1));
        Assert.That((await reoffers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == sessionId)).GetProperty("status").GetString(), Is.EqualTo("waiting"));
        await rescuer.DisposeAsync();
    }

    [Test]
    public async Task AConnectedOperatorKeepsItsAssignments()
    {
        await using var relay = new RelayFactory();
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        var start = relay.Clock.Freeze();
        await using var op = await ConnectAsync(relay, "/hubs/operator", await OperatorTokenAsync(api, tenant));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var (_, sessionId) = await WaitingVisitorAsync(relay, api, tenant);
        await op.InvokeAsync<JsonElement>("Accept", new { assignment_id = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid() });

        relay.Clock.Set(start.AddSeconds(500));
        await relay.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default);
        var session = (await api.SignedAsync(tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("status").GetString(), Is.EqualTo("assigned"), "the heartbeat kept it");
    }

    [Test]
    public async Task AWaitingSessionPastMaxWaitClosesWithATicket()
    {
        await using var relay = new RelayFactory();
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { max_wait_seconds = 60 })).ShouldBe(200);
        var start = relay.Clock.Freeze();
        var (visitor, sessionId) = await WaitingVisitorAsync(relay, api, tenant);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        var messages = HubEvents<JsonElement>.On(visitor, "message");

        relay.Clock.Set(start.AddSeconds(59));
        Assert.That((await relay.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default)).TimedOut, Is.Zero);
        relay.Clock.Set(start.AddSeconds(61));
        Assert.That((await relay.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default)).TimedOut, Is.EqualTo(1));

        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "closed");
        var notice = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "system");
        var session = (await api.SignedAsync(tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("ticket_id").GetString(), Does.StartWith("dev-"));
        Assert.That(notice.GetProperty("text").GetString(), Does.Contain(session.GetProperty("ticket_id").GetString()));
        await visitor.DisposeAsync();
    }

    [Test]
    public async Task RetentionRemovesEveryCopyOfALongClosedSessionsTextAndKeepsTheRest()
    {
        // A database of its own: retention reaches every tenant's rows, and this test moves the clock 31 days ahead.
        var database = await TestDatabase.CreateExtraAsync("retention");
        await using var receiver = await WebhookReceiver.StartAsync();
        try
        {
            await using var relay = new RelayFactory(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Relay"] = database, ["Relay:JournalRetentionDays"] = "30",
            });
            var api = new RelayApi(relay);
            var tenant = await api.CreateTenantAsync();
            (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}",
                new { webhook_url = receiver.Url.ToString(), feature_flags = new { attachments = true } })).ShouldBe(200);
            var start = relay.Clock.Freeze();
            var (visitor, sessionId) = await WaitingVisitorAsync(relay, api, tenant);
            var file = new ByteArrayContent(Attachments.AttachmentTests.Png(40, 30));
            (await api.SignedMultipartAsync(tenant, $"/api/v1/relay/sessions/{sessionId}/attachments",
                new MultipartFormDataContent { { file, "file", "receipt.png" } })).ShouldBe(201);
            (await api.SignedAsync(tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{sessionId}/close", new { })).ShouldBe(200);
            await relay.Services.GetRequiredService<EventDispatcher>().RunOnceAsync(default); // the webhook deliveries, with their bodies
            var messages = $"/api/v1/relay/sessions/{sessionId}/messages";
            Assert.That((await api.SignedAsync(tenant, HttpMethod.Get, messages)).ShouldBe(200).Data.GetArrayLength(), Is.EqualTo(2));
            Assert.That(await TextCopiesAsync(database, tenant.TenantId), Is.EqualTo((2, 2)), "message events and webhook bodies carry the text");

            relay.Clock.Set(start.AddDays(29));
            await relay.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default);
            Assert.That((await api.SignedAsync(tenant, HttpMethod.Get, messages)).ShouldBe(200).Data.GetArrayLength(), Is.EqualTo(2), "kept within the retention");
            Assert.That(await TextCopiesAsync(database, tenant.TenantId), Is.EqualTo((2, 2)));

            relay.Clock.Set(start.AddDays(31));
            var purged = (await relay.Services.GetRequiredService<RelayMaintenance>().RunOnceAsync(default)).Purged!;
            Assert.That((purged.Messages, purged.EventTexts, purged.DeliveryBodies), Is.EqualTo((2, 2, 2)));
            Assert.That((await api.SignedAsync(tenant, HttpMethod.Get, messages)).ShouldBe(200).Data.GetArrayLength(), Is.Zero);
            Assert.That(await TextCopiesAsync(database, tenant.TenantId), Is.EqualTo((0, 0)), "no copy of the text is left");
            await using (var connection = new Npgsql.NpgsqlConnection(database))
            {
                Assert.That(await Dapper.SqlMapper.ExecuteScalarAsync<long>(connection,
                    "SELECT (SELECT count(*) FROM attachments) + (SELECT count(*) FROM attachment_blobs)"), Is.Zero, "attachments go with the journal");
            }

            // The envelopes stay: the feed still lists every event in sequence, the deliveries keep their status.
            var feed = (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/events?after=0&limit=100")).ShouldBe(200).Data
                .GetProperty("events").EnumerateArray().ToList();
            Assert.That(feed.Select(e => e.GetProperty("sequence").GetInt64()), Is.EqualTo(Enumerable.Range(1, feed.Count).Select(i => (long)i)));
            Assert.That(feed.Count(e => e.GetProperty("type").GetString() == "message.created"), Is.EqualTo(2));
            await visitor.DisposeAsync();
        }
        finally
        {
            await TestDatabase.DropExtraAsync(database);
        }
    }

    [Test]
    public async Task OneNodeSweepsPerIntervalWhateverTheNumberOfNodes()
    {
        var settings = new Dictionary<string, string?> { ["Relay:MaintenanceIntervalSeconds"] = "3600" };
        await using var first = new RelayFactory(settings);
        await using var second = new RelayFactory(settings);
        var name = "sweep-test-" + Guid.NewGuid().ToString("N");
        var leases = new[] { first, second }.Select(r => r.Services.GetRequiredService<Bloonio.Relay.Core.Common.IWorkLeases>()).ToList();
        var taken = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => leases[i % 2].TryAcquireAsync(name, TimeSpan.FromHours(1), default)));
        var holders = taken.Select((t, i) => (t, node: i % 2)).Where(x => x.t).Select(x => x.node).Distinct().ToList();
        Assert.That(holders, Has.Count.EqualTo(1), "ten tries from two nodes at once: one node holds the lease (its own tries renew it)");
        Assert.That(await leases[0].TryAcquireAsync(name, TimeSpan.FromHours(1), default) ^ await leases[1].TryAcquireAsync(name, TimeSpan.FromHours(1), default),
            Is.True, "the holder renews it, the other still cannot take it");
    }

    private static async Task<(long Events, long Deliveries)> TextCopiesAsync(string database, Guid tenantId)
    {
        await using var db = new Npgsql.NpgsqlConnection(database);
        await db.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            SELECT (SELECT count(*) FROM events WHERE tenant_id = @t AND type = 'message.created' AND data ? 'text'),
                   (SELECT count(*) FROM webhook_deliveries WHERE tenant_id = @t AND event_type = 'message.created' AND payload -> 'data' ? 'text')
            """, db);
        command.Parameters.AddWithValue("t", tenantId);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
