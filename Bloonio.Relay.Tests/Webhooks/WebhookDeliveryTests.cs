using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Bloonio.Relay.Web.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Webhooks;

/// <summary>
/// Signed delivery to a real receiver, retries on a clock the test controls, a relay restart in the middle of the
/// schedule, two dispatchers at once, 410, Retry-After, replay and the test event.
/// </summary>
[NonParallelizable]
public sealed class WebhookDeliveryTests : OwnRelayTestBase
{
    private WebhookReceiver _receiver = null!;

    [SetUp]
    public async Task SetUp()
    {
        _receiver = await WebhookReceiver.StartAsync();
        _receiver.Secrets.Add(Tenant.Secret);
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { webhook_url = _receiver.Url.ToString() })).ShouldBe(200);
    }

    [TearDown]
    public async Task TearDown()
    {
        Assert.That(_receiver.BadSignatures, Is.Zero, "every request carried a valid signature");
        await _receiver.DisposeAsync(); // the base disposes the relay
    }

    /// <summary>
    /// One pass of fan-out and delivery; returns how many requests this test's receiver got from it (the workers are
    /// global, and the run's database holds other tests' tenants too).
    /// </summary>
    private async Task<int> PumpAsync(RelayFactory? relay = null)
    {
        relay ??= Relay;
        var before = _receiver.Requests.Count;
        await relay.Services.GetRequiredService<EventDispatcher>().RunOnceAsync(default);
        await relay.Services.GetRequiredService<WebhookWorker>().RunOnceAsync(default);
        return _receiver.Requests.Count - before;
    }

    private async Task<string> OpenSessionAsync() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = Guid.NewGuid().ToString() }))
            .ShouldBe(200).Data.GetProperty("session_id").GetString()!;

    [Test]
    public async Task EveryEventIsDeliveredSignedWithItsHeaders()
    {
        var sessionId = await OpenSessionAsync();
        Assert.That(await PumpAsync(), Is.EqualTo(1));

        var received = _receiver.Requests.Single();
        Assert.Multiple(() =>
        {
            Assert.That(received.EventType, Is.EqualTo("session.created"));
            Assert.That(received.Body.GetProperty("type").GetString(), Is.EqualTo("session.created"));
            Assert.That(received.Body.GetProperty("id").GetString(), Is.EqualTo(received.EventId));
            Assert.That(received.Body.GetProperty("tenant_id").GetString(), Is.EqualTo(Tenant.TenantId.ToString()));
            Assert.That(received.Body.GetProperty("sequence").GetInt64(), Is.EqualTo(1));
            Assert.That(received.Body.GetProperty("data").GetProperty("session_id").GetString(), Is.EqualTo(sessionId));
            Assert.That(received.Attempt, Is.EqualTo(1));
        });
        Assert.That(await PumpAsync(), Is.Zero, "delivered once");
    }

    [Test]
    public async Task AFailingReceiverGetsTheSameEventAgainOnScheduleUntilItRecovers()
    {
        await OpenSessionAsync();
        _receiver.Status = 500;
        var start = Relay.Clock.Freeze();
        await PumpAsync();
        Relay.Clock.Set(start.AddSeconds(20));
        Assert.That(await PumpAsync(), Is.Zero, "not before the first retry (30 s ± 10 %)");

        _receiver.Status = 200;
        Relay.Clock.Set(start.AddSeconds(34));
        Assert.That(await PumpAsync(), Is.EqualTo(1));

        var requests = _receiver.Requests.ToList();
        Assert.That(requests.Select(r => r.Attempt), Is.EqualTo(new[] { 1, 2 }));
        Assert.That(requests.Select(r => r.EventId).Distinct().Count(), Is.EqualTo(1), "the same event id, so receivers de-duplicate");
        var log = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200).Data;
        var delivery = log.GetProperty("deliveries")[0];
        Assert.That(delivery.GetProperty("status").GetString(), Is.EqualTo("delivered"));
        Assert.That(delivery.GetProperty("attempt_log").EnumerateArray().Select(a => a.GetProperty("status_code").GetInt32()), Is.EqualTo(new[] { 500, 200 }));
    }

    [Test]
    public async Task ARelayRestartInTheMiddleOfTheScheduleLosesNothing()
    {
        await OpenSessionAsync();
        _receiver.Status = 503;
        var start = Relay.Clock.Freeze();
        await PumpAsync();
        await Relay.DisposeAsync();

        Relay = new RelayFactory(); // the same database: a restarted node
        Relay.Clock.Set(start.AddMinutes(1));
        _receiver.Status = 200;
        Assert.That(await PumpAsync(), Is.EqualTo(1));
        Assert.That(_receiver.Requests.Select(r => r.Attempt), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task TwoDispatchersAtOnceDeliverEachEventOnce()
    {
        for (var i = 0; i < 10; i++)
        {
            await OpenSessionAsync();
        }

        await using var second = new RelayFactory();
        await Task.WhenAll(Task.Run(() => PumpAsync()), Task.Run(() => PumpAsync(second)));
        await Task.WhenAll(Task.Run(() => PumpAsync()), Task.Run(() => PumpAsync(second)));
        var ids = _receiver.Requests.Select(r => r.EventId).ToList();
        Assert.That(ids, Has.Count.EqualTo(10).And.Unique);
    }

    [Test]
    public async Task GoneDisablesTheEndpointAndResumeLetsPendingEventsFlow()
    {
        await OpenSessionAsync();
        _receiver.Status = 410;
        await PumpAsync();
        var log = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200).Data;
        Assert.That(log.GetProperty("endpoint").GetProperty("status").GetString(), Is.EqualTo("disabled"));
        Assert.That(log.GetProperty("endpoint").GetProperty("reason").GetString(), Does.Contain("410"));

        await OpenSessionAsync();
        _receiver.Status = 200;
        Assert.That(await PumpAsync(), Is.Zero, "nothing is sent to a disabled endpoint");
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/webhooks/resume", new { })).ShouldBe(200);
        Assert.That(await PumpAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task RetryAfterIsHonoured()
    {
        await OpenSessionAsync();
        _receiver.Status = 429;
        _receiver.RetryAfterSeconds = 300;
        var start = Relay.Clock.Freeze();
        await PumpAsync();
        _receiver.Status = 200;
        Relay.Clock.Set(start.AddSeconds(120));
        Assert.That(await PumpAsync(), Is.Zero, "asked to wait 5 minutes");
        Relay.Clock.Set(start.AddSeconds(301));
        Assert.That(await PumpAsync(), Is.EqualTo(1));
    }

    [Test]
    public async Task ADeliveryCanBeReplayedAndATestEventSent()
    {
        await OpenSessionAsync();
        await PumpAsync();
        var deliveryId = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200)
            .Data.GetProperty("deliveries")[0].GetProperty("delivery_id").GetString();
        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/webhooks/deliveries/{deliveryId}/replay", new { })).ShouldBe(201);
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/webhooks/test", new { })).ShouldBe(201);
        await PumpAsync();

        var requests = _receiver.Requests.ToList();
        Assert.That(requests.Select(r => r.EventType), Is.EqualTo(new[] { "session.created", "session.created", "webhook.test" }).Or.EqualTo(new[] { "session.created", "webhook.test", "session.created" }));
        Assert.That(requests[0].EventId, Is.EqualTo(requests.Where(r => r.EventType == "session.created").Last().EventId));
        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/webhooks/deliveries/{Guid.CreateVersion7()}/replay", new { }))
            .ShouldBe(404, "delivery_not_found");
    }

    [Test]
    public async Task DuringARotationEachDeliveryCarriesBothSignatures()
    {
        const string previous = "bts_previous_secret_still_in_its_grace_period";
        var protector = Relay.Services.GetRequiredService<Bloonio.Relay.Core.Security.ISecretProtector>();
        await using (var connection = await Relay.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                INSERT INTO tenant_secrets (secret_id, tenant_id, ciphertext, created_at, expires_at)
                VALUES (gen_random_uuid(), @TenantId, @ciphertext, now() - interval '1 day', now() + interval '1 hour')
                """, new { Tenant.TenantId, ciphertext = protector.Protect(previous, Bloonio.Relay.Core.Security.SecretPurpose.TenantSecret(Tenant.TenantId)) });
        }

        _receiver.Secrets.Add(previous);
        await OpenSessionAsync();
        await PumpAsync();
        var received = _receiver.Requests.Single();
        Assert.That(received.SignatureCount, Is.EqualTo(2));
        Assert.That(received.ValidSecrets, Is.EquivalentTo(new[] { Tenant.Secret, previous }));
    }

    [Test]
    public async Task WithoutInsecureWebhooksALoopbackTargetIsRefusedAtDeliveryToo()
    {
        await using var strict = new RelayFactory(new Dictionary<string, string?> { ["Relay:AllowInsecureWebhooks"] = "false" });
        var api = new RelayApi(strict);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { webhook_url = _receiver.Url.ToString() }))
            .ShouldBe(422, "validation_failed");

        // Pretend the name resolved to something public when it was configured (DNS rebinding): write it directly.
        await using (var connection = await strict.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection,
                "UPDATE tenants SET configuration = jsonb_set(configuration, '{webhook_url}', to_jsonb(@url::text)) WHERE tenant_id = @TenantId",
                new { url = _receiver.Url.ToString().Replace("http://", "https://"), tenant.TenantId });
        }

        await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "rebind" });
        await PumpAsync(strict);
        var delivery = (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200).Data.GetProperty("deliveries")[0];
        Assert.That(delivery.GetProperty("last_error").GetString(), Does.Contain("refused"));
        Assert.That(_receiver.Requests, Is.Empty, "the connection was never made");
    }

    [Test]
    public async Task AHundredFailuresOverADayPauseTheEndpointWithAReason()
    {
        await OpenSessionAsync();
        _receiver.Status = 500;
        var start = Relay.Clock.Freeze();
        await using (var connection = await Relay.Services.GetRequiredService<Npgsql.NpgsqlDataSource>().OpenConnectionAsync())
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, """
                INSERT INTO webhook_endpoints (tenant_id, consecutive_failures, first_failure_at, updated_at)
                VALUES (@TenantId, 99, @since, @since)
                """, new { Tenant.TenantId, since = start.AddHours(-25) });
        }

        await PumpAsync();
        var endpoint = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200).Data.GetProperty("endpoint");
        Assert.That(endpoint.GetProperty("status").GetString(), Is.EqualTo("paused"));
        Assert.That(endpoint.GetProperty("reason").GetString(), Does.Contain("100 consecutive failed deliveries"));
    }

    [Test]
    public async Task OperatorProvisioningAndDeprovisioningAreEvents()
    {
        var email = $"hooked-{Guid.NewGuid():N}@example.com";
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Hooked" })).ShouldBe(201);
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email })).ShouldBe(200);
        await PumpAsync();
        // Deliveries may arrive in any order (they are sent in parallel); the body's sequence gives the order.
        var ordered = _receiver.Requests.OrderBy(r => r.Body.GetProperty("sequence").GetInt64()).ToList();
        Assert.That(ordered.Select(r => r.EventType), Is.EqualTo(new[] { "operator.provisioned", "operator.deprovisioned" }));
        Assert.That(ordered[0].Body.GetProperty("data").GetProperty("email").GetString(), Is.EqualTo(email));
    }
}
