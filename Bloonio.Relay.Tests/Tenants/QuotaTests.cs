using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Tenants;

/// <summary>SPEC 10 limits at their boundaries (N allowed, N+1 refused, allowed again in the next window), with headers.</summary>
[NonParallelizable]
public sealed class QuotaTests : OwnRelayTestBase
{
    private DateTimeOffset _minute;

    [SetUp]
    public void FixTheWindow()
    {
        var now = DateTimeOffset.UtcNow;
        _minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        Relay.Clock.Set(_minute.AddSeconds(10)); // well inside one fixed window
    }

    private async Task SetQuotasAsync(object quotas) =>
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { quotas })).ShouldBe(200);

    private Task<ApiResponse> BackendCallAsync(int n) =>
        Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + n);

    [Test]
    public async Task BackendRequestsPerMinute()
    {
        await SetQuotasAsync(new { backend_requests_per_minute = 3 });
        for (var i = 1; i <= 3; i++)
        {
            var ok = (await BackendCallAsync(i)).ShouldBe(200);
            Assert.That(ok.Headers.GetValues("RateLimit-Limit").Single(), Is.EqualTo("3"));
            Assert.That(ok.Headers.GetValues("RateLimit-Remaining").Single(), Is.EqualTo((3 - i).ToString()));
        }

        var refused = (await BackendCallAsync(4)).ShouldBe(429, "rate_limited");
        Assert.That(refused.Headers.GetValues("Retry-After").Single(), Is.EqualTo("50"));
        Assert.That(refused.Headers.GetValues("RateLimit-Reset").Single(), Is.EqualTo("50"));

        Relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        (await BackendCallAsync(5)).ShouldBe(200);
    }

    [Test]
    public async Task WidgetSessionsPerMinutePerClient()
    {
        await SetQuotasAsync(new { widget_sessions_per_minute = 2 });
        async Task<ApiResponse> OpenAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
            request.Headers.Add("Origin", "https://shop.example.com");
            return await Api.SendAsync(request);
        }

        (await OpenAsync()).ShouldBe(201);
        (await OpenAsync()).ShouldBe(201);
        Assert.That((await OpenAsync()).ShouldBe(429, "rate_limited").Headers.Contains("Retry-After"), Is.True);
        Relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        (await OpenAsync()).ShouldBe(201);
    }

    [Test]
    public async Task VisitorMessagesPerMinuteAreHubErrorsAndTheConnectionStaysUsable()
    {
        await SetQuotasAsync(new { visitor_messages_per_minute = 2 });
        var token = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "chatty", mode = "human" }, timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds())).ShouldBe(200)
            .Data.GetProperty("visitor_token").GetString();
        await using var visitor = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", token);
        await visitor.StartReadyAsync("/hubs/visitor");
        Task<JsonElement> SendAsync(string id) => visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = id, text = id }).WaitAsync(TimeSpan.FromSeconds(10));

        await SendAsync("1");
        await SendAsync("2");
        var ex = Assert.ThrowsAsync<HubException>(() => SendAsync("3"))!;
        Assert.That(ex.Message, Does.Contain("HubException: rate_limited:"));
        Relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        Assert.That((await SendAsync("4")).GetProperty("seq").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task ActiveOperatorsQuota()
    {
        await SetQuotasAsync(new { operators = 2 });
        var n = 0;
        Task<ApiResponse> ProvisionAsync(string email) => Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Op" }, timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + ++n);

        (await ProvisionAsync("a@quota.test")).ShouldBe(201);
        (await ProvisionAsync("b@quota.test")).ShouldBe(201);
        var refused = (await ProvisionAsync("c@quota.test")).ShouldBe(429, "quota_exceeded");
        Assert.That(refused.Headers.Contains("Retry-After"), Is.True);
        (await ProvisionAsync("b@quota.test")).ShouldBe(200); // refreshing one that exists is not a new operator

        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email = "a@quota.test" },
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + ++n)).ShouldBe(200);
        (await ProvisionAsync("c@quota.test")).ShouldBe(201);
    }

    private async Task<HubConnection> VisitorAsync(string user)
    {
        var token = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = user, mode = "human" }, timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + user.GetHashCode() % 1000))
            .ShouldBe(200).Data.GetProperty("visitor_token").GetString();
        var visitor = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", token);
        await visitor.StartReadyAsync("/hubs/visitor");
        return visitor;
    }

    [Test]
    public async Task MessagesPerMonthWithWarningAndExceededEvents()
    {
        await SetQuotasAsync(new { messages_per_month = 5, visitor_messages_per_minute = 100 });
        await using var visitor = await VisitorAsync("monthly");
        for (var i = 1; i <= 5; i++)
        {
            await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = $"m{i}", text = $"message {i}" }).WaitAsync(TimeSpan.FromSeconds(10));
        }

        var ex = Assert.ThrowsAsync<HubException>(() => visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m6", text = "one too many" })
            .WaitAsync(TimeSpan.FromSeconds(10)))!;
        Assert.That(ex.Message, Does.Contain("HubException: quota_exceeded:"));

        // quota.warning and quota.exceeded are written by the usage consumer as it counts the month's messages.
        await Relay.Services.GetRequiredService<Bloonio.Relay.Web.Hosting.EventDispatcher>().RunOnceAsync(default);
        var events = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?limit=500",
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 7)).ShouldBe(200).Data.GetProperty("events").EnumerateArray().ToList();
        var quota = events.Where(e => e.GetProperty("type").GetString()!.StartsWith("quota.", StringComparison.Ordinal)).ToList();
        Assert.That(quota.Select(e => (e.GetProperty("type").GetString(), e.GetProperty("data").GetProperty("used").GetInt32())),
            Is.EqualTo(new[] { ("quota.warning", 4), ("quota.exceeded", 5) }));
        Assert.That(events.Count(e => e.GetProperty("type").GetString() == "message.created"), Is.EqualTo(5), "the refused message was not stored");

        Relay.Clock.Set(new DateTimeOffset(_minute.Year, _minute.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1).AddMinutes(1));
        Assert.That((await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "m7", text = "a new month" })
            .WaitAsync(TimeSpan.FromSeconds(10))).GetProperty("seq").GetInt32(), Is.EqualTo(6));
    }

    [Test]
    public async Task ConcurrentVisitorConnections()
    {
        await SetQuotasAsync(new { concurrent_visitor_connections = 2 });
        await using var first = await VisitorAsync("c1");
        await using var second = await VisitorAsync("c2");
        Assert.That(async () => await VisitorAsync("c3"), Throws.Exception);

        await first.StopAsync();
        await using var later = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor",
            (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "c4" },
                timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 99)).ShouldBe(200).Data.GetProperty("visitor_token").GetString());
        // The server releases the slot when it has processed the disconnect; retry the connect until it has (bounded).
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await later.StartReadyAsync("/hubs/visitor");
                break;
            }
            catch (Exception) when (attempt < 50)
            {
                await later.StopAsync();
            }
        }

        Assert.That(later.State, Is.EqualTo(HubConnectionState.Connected));
    }

    [Test]
    public async Task SuspendingATenantClosesItsLiveConnectionsAndRefusesNewOnes()
    {
        await using var visitor = await VisitorAsync("suspended");
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        visitor.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/suspend")).ShouldBe(200);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 3))
            .ShouldBe(403, "tenant_suspended");
        Assert.That(async () => await VisitorAsync("after"), Throws.Exception);
    }

    [Test]
    public async Task UsageCountsABurstExactlyPerDay()
    {
        await SetQuotasAsync(new { visitor_messages_per_minute = 1000, messages_per_month = 1000 });
        await using var visitor = await VisitorAsync("bursty");
        await Task.WhenAll(Enumerable.Range(0, 25).Select(i =>
            visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = $"b{i}", text = $"burst {i}" }).WaitAsync(TimeSpan.FromSeconds(20))));
        var botSession = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "bot-user" },
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 11)).ShouldBe(200).Data.GetProperty("session_id").GetString();
        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{botSession}/escalate", new { reason = "billing" },
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 12)).ShouldBe(200);

        var services = Relay.Services;
        await services.GetRequiredService<Bloonio.Relay.Web.Hosting.EventDispatcher>().RunOnceAsync(default);
        await services.GetRequiredService<Bloonio.Relay.Web.Hosting.RelayMaintenance>().RunOnceAsync(default);
        // Replaying what was counted (an at-least-once batch run twice) changes nothing.
        await services.GetRequiredService<Bloonio.Relay.Core.Quotas.IUsageStore>().ApplyAsync(Tenant.TenantId,
            [new Bloonio.Relay.Core.Quotas.UsageIncrement(1, DateOnly.FromDateTime(_minute.UtcDateTime), "sessions")], 1, null, default);

        var response = await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/usage?period={_minute:yyyy-MM}",
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 13);
        var usage = response.ShouldBe(200).Data;
        var totals = usage.GetProperty("totals");
        Assert.Multiple(() =>
        {
            Assert.That(totals.GetProperty("messages").GetProperty("visitor").GetInt64(), Is.EqualTo(25));
            Assert.That(totals.GetProperty("messages").GetProperty("system").GetInt64(), Is.EqualTo(1), "the escalation notice");
            Assert.That(totals.GetProperty("sessions").GetInt64(), Is.EqualTo(2));
            Assert.That(totals.GetProperty("escalations").GetInt64(), Is.EqualTo(1));
            Assert.That(totals.GetProperty("peak_concurrent_connections").GetInt64(), Is.EqualTo(1));
            Assert.That(usage.GetProperty("messages_this_month").GetInt32(), Is.EqualTo(25), "system notices do not count against the quota");
            Assert.That(usage.GetProperty("quotas").GetProperty("messages_per_month").GetInt32(), Is.EqualTo(1000));
            Assert.That(usage.GetProperty("days").GetArrayLength(), Is.EqualTo(1));
        });
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/usage?period=2026-13",
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 14)).ShouldBe(422, "validation_failed");
    }

    [Test]
    public async Task OnePassOfTheConsumersCountsABusyTenantPastOneBatch()
    {
        // The consumers read 200 events at a time; a tenant with more waiting must not wait a pass (200 ms apart in
        // production) per batch: its usage, webhooks and feed would fall ever further behind a busy tenant.
        const int Sent = 450;
        await SetQuotasAsync(new { visitor_messages_per_minute = 1000, messages_per_month = 10_000 });
        await using var visitor = await VisitorAsync("busy");
        await Task.WhenAll(Enumerable.Range(0, Sent).Select(i =>
            visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = $"busy{i}", text = $"message {i}" }).WaitAsync(TimeSpan.FromSeconds(30))));

        await Relay.Services.GetRequiredService<Bloonio.Relay.Web.Hosting.EventDispatcher>().RunOnceAsync(default);

        var usage = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/usage?period={_minute:yyyy-MM}",
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 21)).ShouldBe(200).Data;
        Assert.That(usage.GetProperty("totals").GetProperty("messages").GetProperty("visitor").GetInt64(), Is.EqualTo(Sent));
    }

    [Test]
    public async Task RenewingTheMonthsCountHoldsNoMessage()
    {
        await SetQuotasAsync(new { visitor_messages_per_minute = 100, messages_per_month = 1000 });
        await using var visitor = await VisitorAsync("steady");
        var first = await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "s1", text = "first" }).WaitAsync(TimeSpan.FromSeconds(10));
        Relay.Clock.Set(Relay.Clock.GetUtcNow() + Bloonio.Relay.Core.Quotas.MonthlyMessageGate.Refresh + TimeSpan.FromSeconds(1));

        // The count is due for renewal, and its read cannot finish while usage_daily is locked: the next message must
        // not wait for it (it is decided on the last count; the renewal runs on its own).
        await using var db = new Npgsql.NpgsqlConnection(TestDatabase.ConnectionString);
        await db.OpenAsync();
        await using var tx = await db.BeginTransactionAsync();
        await new Npgsql.NpgsqlCommand("LOCK TABLE usage_daily IN ACCESS EXCLUSIVE MODE", db, tx).ExecuteNonQueryAsync();
        var second = await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "s2", text = "second" }).WaitAsync(TimeSpan.FromSeconds(10));
        await tx.RollbackAsync();

        Assert.That(second.GetProperty("seq").GetInt32(), Is.EqualTo(first.GetProperty("seq").GetInt32() + 1));
    }
}
