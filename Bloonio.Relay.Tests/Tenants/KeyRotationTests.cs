using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Tenants;

/// <summary>SPEC 3 rotation: both keys valid during the grace period, the old one refused after it, revoked at once with 0.</summary>
[NonParallelizable]
public sealed class KeyRotationTests : OwnRelayTestBase
{

    private async Task<string> RotateAsync(string what, object? body)
    {
        var response = (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/{what}", body)).ShouldBe(201);
        return response.Data.GetProperty("value").GetString()!;
    }

    private Task<ApiResponse> CallAsync(string secret, long offsetMs = 0) =>
        Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators", secret: secret,
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + offsetMs);

    [Test]
    public async Task TheOldSecretVerifiesDuringTheGracePeriodOnly()
    {
        var start = Relay.Clock.Freeze();
        var fresh = await RotateAsync("rotate-secret", new { grace_seconds = 3600 });
        Assert.That(fresh, Does.StartWith("bts_").And.Not.EqualTo(Tenant.Secret));

        (await CallAsync(Tenant.Secret)).ShouldBe(200);
        (await CallAsync(fresh, 1)).ShouldBe(200);
        Relay.Clock.Set(start.AddSeconds(3599));
        (await CallAsync(Tenant.Secret)).ShouldBe(200);
        Relay.Clock.Set(start.AddSeconds(3601));
        (await CallAsync(Tenant.Secret)).ShouldBe(401, "invalid_signature");
        (await CallAsync(fresh)).ShouldBe(200);
    }

    [Test]
    public async Task GraceZeroRevokesAtOnceAndOnlyTwoSecretsAreEverLive()
    {
        var second = await RotateAsync("rotate-secret", new { grace_seconds = 3600 });
        var third = await RotateAsync("rotate-secret", new { grace_seconds = 0 });
        (await CallAsync(Tenant.Secret)).ShouldBe(401, "invalid_signature");
        (await CallAsync(second, 1)).ShouldBe(401, "invalid_signature");
        (await CallAsync(third, 2)).ShouldBe(200);
    }

    [Test]
    public async Task TheDefaultGraceIsADayAndTheRotationIsAnEvent()
    {
        var start = Relay.Clock.Freeze();
        var rotated = (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/rotate-secret")).ShouldBe(201).Data;
        Assert.That(rotated.GetProperty("grace_seconds").GetInt32(), Is.EqualTo(86400));
        Relay.Clock.Set(start.AddHours(23));
        (await CallAsync(Tenant.Secret)).ShouldBe(200);

        var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events", secret: rotated.GetProperty("value").GetString(),
            timestampMs: Relay.Clock.GetUtcNow().ToUnixTimeMilliseconds() + 5)).ShouldBe(200);
        var events = feed.Data.GetProperty("events").EnumerateArray().ToList();
        Assert.That(events.Single().GetProperty("type").GetString(), Is.EqualTo("key.rotated"));
        Assert.That(feed.Raw, Does.Not.Contain(rotated.GetProperty("value").GetString()!), "an event never carries a key");
    }

    [Test]
    public async Task TheOldWidgetKeyWorksDuringItsGracePeriod()
    {
        var start = Relay.Clock.Freeze();
        var fresh = await RotateAsync("rotate-widget-key", new { grace_seconds = 600 });
        Assert.That(fresh, Does.StartWith("bwk_"));

        async Task<int> ConfigAsync(string key)
        {
            var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/widget/config");
            request.Headers.Add("X-Bloonio-Widget-Key", key);
            request.Headers.Add("Origin", "https://shop.example.com");
            return (int)(await Api.SendAsync(request)).Status;
        }

        Assert.That((await ConfigAsync(Tenant.WidgetKey), await ConfigAsync(fresh)), Is.EqualTo((200, 200)));
        Relay.Clock.Set(start.AddSeconds(601));
        Assert.That((await ConfigAsync(Tenant.WidgetKey), await ConfigAsync(fresh)), Is.EqualTo((401, 200)));
        var shown = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200);
        Assert.That(shown.Data.GetProperty("widget_public_key").GetString(), Is.EqualTo(fresh));
    }

    [TestCase(-1)]
    [TestCase(604801)]
    public async Task AGraceOutsideZeroToSevenDaysIs422(int grace) =>
        Assert.That((await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/rotate-secret", new { grace_seconds = grace }))
            .ShouldBe(422, "validation_failed").ErrorFields, Is.EqualTo(new[] { "grace_seconds" }));

    [Test]
    public async Task AnUnknownTenantCannotBeRotated() =>
        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Guid.CreateVersion7()}/rotate-secret", new { })).ShouldBe(404, "tenant_not_found");
}
