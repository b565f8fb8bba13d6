using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Tenants;

/// <summary>SPEC 3 rotation: both keys valid during the grace period, the old one refused after it, revoked at once with 0.</summary>
[NonParallelizable]
public sealed class KeyRotationTests
{
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;
    private TestTenant _tenant = null!;

    [SetUp]
    public async Task SetUp()
    {
        _relay = new RelayFactory();
        _api = new RelayApi(_relay);
        _tenant = await _api.CreateTenantAsync();
    }

    [TearDown]
    public Task TearDown() => _relay.DisposeAsync().AsTask();

    private async Task<string> RotateAsync(string what, object? body)
    {
        var response = (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{_tenant.TenantId}/{what}", body)).ShouldBe(201);
        return response.Data.GetProperty("value").GetString()!;
    }

    private Task<ApiResponse> CallAsync(string secret, long offsetMs = 0) =>
        _api.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/operators", secret: secret,
            timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + offsetMs);

    [Test]
    public async Task TheOldSecretVerifiesDuringTheGracePeriodOnly()
    {
        var start = _relay.Clock.Freeze();
        var fresh = await RotateAsync("rotate-secret", new { grace_seconds = 3600 });
        Assert.That(fresh, Does.StartWith("bts_").And.Not.EqualTo(_tenant.Secret));

        (await CallAsync(_tenant.Secret)).ShouldBe(200);
        (await CallAsync(fresh, 1)).ShouldBe(200);
        _relay.Clock.Set(start.AddSeconds(3599));
        (await CallAsync(_tenant.Secret)).ShouldBe(200);
        _relay.Clock.Set(start.AddSeconds(3601));
        (await CallAsync(_tenant.Secret)).ShouldBe(401, "invalid_signature");
        (await CallAsync(fresh)).ShouldBe(200);
    }

    [Test]
    public async Task GraceZeroRevokesAtOnceAndOnlyTwoSecretsAreEverLive()
    {
        var second = await RotateAsync("rotate-secret", new { grace_seconds = 3600 });
        var third = await RotateAsync("rotate-secret", new { grace_seconds = 0 });
        (await CallAsync(_tenant.Secret)).ShouldBe(401, "invalid_signature");
        (await CallAsync(second, 1)).ShouldBe(401, "invalid_signature");
        (await CallAsync(third, 2)).ShouldBe(200);
    }

    [Test]
    public async Task TheDefaultGraceIsADayAndTheRotationIsAnEvent()
    {
        var start = _relay.Clock.Freeze();
        var rotated = (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{_tenant.TenantId}/rotate-secret")).ShouldBe(201).Data;
        Assert.That(rotated.GetProperty("grace_seconds").GetInt32(), Is.EqualTo(86400));
        _relay.Clock.Set(start.AddHours(23));
        (await CallAsync(_tenant.Secret)).ShouldBe(200);

        var feed = (await _api.SignedAsync(_tenant, HttpMethod.Get, "/api/v1/relay/events", secret: rotated.GetProperty("value").GetString(),
            timestampMs: _relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 5)).ShouldBe(200);
        var events = feed.Data.GetProperty("events").EnumerateArray().ToList();
        Assert.That(events.Single().GetProperty("type").GetString(), Is.EqualTo("key.rotated"));
        Assert.That(feed.Raw, Does.Not.Contain(rotated.GetProperty("value").GetString()!), "an event never carries a key");
    }

    [Test]
    public async Task TheOldWidgetKeyWorksDuringItsGracePeriod()
    {
        var start = _relay.Clock.Freeze();
        var fresh = await RotateAsync("rotate-widget-key", new { grace_seconds = 600 });
        Assert.That(fresh, Does.StartWith("bwk_"));

        async Task<int> ConfigAsync(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/widget/config");
            request.Headers.Add("X-Bloonio-Widget-Key", key);
            request.Headers.Add("Origin", "https://shop.example.com");
            return (int)(await _api.SendAsync(request)).Status;
        }

        Assert.That((await ConfigAsync(_tenant.WidgetKey), await ConfigAsync(fresh)), Is.EqualTo((200, 200)));
        _relay.Clock.Set(start.AddSeconds(601));
        Assert.That((await ConfigAsync(_tenant.WidgetKey), await ConfigAsync(fresh)), Is.EqualTo((401, 200)));
        var shown = (await _api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{_tenant.TenantId}")).ShouldBe(200);
        Assert.That(shown.Data.GetProperty("widget_public_key").GetString(), Is.EqualTo(fresh));
    }

    [TestCase(-1)]
    [TestCase(604801)]
    public async Task AGraceOutsideZeroToSevenDaysIs422(int grace) =>
        Assert.That((await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{_tenant.TenantId}/rotate-secret", new { grace_seconds = grace }))
            .ShouldBe(422, "validation_failed").ErrorFields, Is.EqualTo(new[] { "grace_seconds" }));

    [Test]
    public async Task AnUnknownTenantCannotBeRotated() =>
        (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Guid.CreateVersion7()}/rotate-secret", new { })).ShouldBe(404, "tenant_not_found");
}
