using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Tenants;

/// <summary>SPEC 10 limits at their boundaries (N allowed, N+1 refused, allowed again in the next window), with headers.</summary>
[NonParallelizable]
public sealed class QuotaTests
{
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;
    private TestTenant _tenant = null!;
    private DateTimeOffset _minute;

    [SetUp]
    public async Task SetUp()
    {
        _relay = new RelayFactory();
        _api = new RelayApi(_relay);
        _tenant = await _api.CreateTenantAsync();
        var now = DateTimeOffset.UtcNow;
        _minute = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, now.Minute, 0, TimeSpan.Zero).AddMinutes(1);
        _relay.Clock.Set(_minute.AddSeconds(10)); // well inside one fixed window
    }

    [TearDown]
    public Task TearDown() => _relay.DisposeAsync().AsTask();

    private async Task SetQuotasAsync(object quotas) =>
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{_tenant.TenantId}", new { quotas })).ShouldBe(200);

    private Task<ApiResponse> BackendCallAsync(int n) =>
        _api.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + n);

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

        _relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        (await BackendCallAsync(5)).ShouldBe(200);
    }

    [Test]
    public async Task WidgetSessionsPerMinutePerClient()
    {
        await SetQuotasAsync(new { widget_sessions_per_minute = 2 });
        async Task<ApiResponse> OpenAsync()
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions") { Content = new StringContent("{}", System.Text.Encoding.UTF8, "application/json") };
            request.Headers.Add("X-Bloonio-Widget-Key", _tenant.WidgetKey);
            request.Headers.Add("Origin", "https://shop.example.com");
            return await _api.SendAsync(request);
        }

        (await OpenAsync()).ShouldBe(201);
        (await OpenAsync()).ShouldBe(201);
        Assert.That((await OpenAsync()).ShouldBe(429, "rate_limited").Headers.Contains("Retry-After"), Is.True);
        _relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        (await OpenAsync()).ShouldBe(201);
    }

    [Test]
    public async Task VisitorMessagesPerMinuteAreHubErrorsAndTheConnectionStaysUsable()
    {
        await SetQuotasAsync(new { visitor_messages_per_minute = 2 });
        var token = (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "chatty", mode = "human" }, timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds())).ShouldBe(200)
            .Data.GetProperty("visitor_token").GetString();
        await using var visitor = HubConnections.ForTestServer(_relay.Server, "/hubs/visitor", token);
        await visitor.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Task<JsonElement> SendAsync(string id) => visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = id, text = id }).WaitAsync(TimeSpan.FromSeconds(10));

        await SendAsync("1");
        await SendAsync("2");
        var ex = Assert.ThrowsAsync<HubException>(() => SendAsync("3"))!;
        Assert.That(ex.Message, Does.Contain("HubException: rate_limited:"));
        _relay.Clock.Set(_minute.AddMinutes(1).AddSeconds(1));
        Assert.That((await SendAsync("4")).GetProperty("seq").GetInt32(), Is.EqualTo(3));
    }

    [Test]
    public async Task ActiveOperatorsQuota()
    {
        await SetQuotasAsync(new { operators = 2 });
        var n = 0;
        Task<ApiResponse> ProvisionAsync(string email) => _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Op" }, timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + ++n);

        (await ProvisionAsync("a@quota.test")).ShouldBe(201);
        (await ProvisionAsync("b@quota.test")).ShouldBe(201);
        var refused = (await ProvisionAsync("c@quota.test")).ShouldBe(429, "quota_exceeded");
        Assert.That(refused.Headers.Contains("Retry-After"), Is.True);
        (await ProvisionAsync("b@quota.test")).ShouldBe(200); // refreshing one that exists is not a new operator

        (await _api.SignedAsync(_tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email = "a@quota.test" },
            timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + ++n)).ShouldBe(200);
        (await ProvisionAsync("c@quota.test")).ShouldBe(201);
    }
}
