using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>SPEC 2 over HTTP: every error code, the clock window at its edges, replay, rotation-style multi-signatures.</summary>
[NonParallelizable]
public sealed class Hmac1AuthenticationTests : TenantTestBase
{
    private const string Path = "/api/v1/relay/operators";
    [TearDown]
    public void TearDown() => RelayFactory.Shared.Clock.Resume();

    [Test]
    public async Task ASignedRequestIsAccepted() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path)).ShouldBe(200);

    [TestCase(Hmac1.TenantIdHeader)]
    [TestCase(Hmac1.TimestampHeader)]
    [TestCase(Hmac1.SignatureHeader)]
    public async Task AMissingHeaderIsMissingSignature(string header) =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, tweak: r => r.Headers.Remove(header))).ShouldBe(401, "missing_signature");

    [TestCase(Hmac1.TenantIdHeader, "not-a-uuid")]
    [TestCase(Hmac1.TimestampHeader, "17189600.5")]
    [TestCase(Hmac1.TimestampHeader, "-1718960000000")]
    [TestCase(Hmac1.SignatureHeader, "v1=zz")]
    [TestCase(Hmac1.SignatureHeader, "sha256=abc")]
    public async Task AMalformedHeaderIsMissingSignature(string header, string value) =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, tweak: r =>
        {
            r.Headers.Remove(header);
            r.Headers.TryAddWithoutValidation(header, value);
        })).ShouldBe(401, "missing_signature");

    [Test]
    public async Task AnUnknownTenantIsRefused() =>
        (await Api.SignedAsync(Tenant with { TenantId = Guid.CreateVersion7() }, HttpMethod.Get, Path)).ShouldBe(401, "unknown_tenant");

    [Test]
    public async Task AWrongSecretIsAnInvalidSignature() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, secret: "bts_wrong")).ShouldBe(401, "invalid_signature");

    [Test]
    public async Task ASignatureOverAnotherPathIsInvalid() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, tweak: r => r.RequestUri = new Uri(Path + "?x=1", UriKind.Relative)))
            .ShouldBe(401, "invalid_signature");

    [Test]
    public async Task ATamperedBodyIsAnInvalidSignature() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email = "a@b.co" },
            tweak: r => r.Content = new StringContent("""{"email":"c@d.co"}""", System.Text.Encoding.UTF8, "application/json")))
            .ShouldBe(401, "invalid_signature");

    [TestCase(-300_000, 200)]
    [TestCase(300_000, 200)]
    [TestCase(-300_001, 401)]
    [TestCase(300_001, 401)]
    public async Task TheClockWindowIsThreeHundredSecondsInclusive(long offsetMs, int expected)
    {
        var now = RelayFactory.Shared.Clock.Freeze();
        var response = await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now.ToUnixTimeMilliseconds() + offsetMs);
        response.ShouldBe(expected, expected == 200 ? null : "timestamp_out_of_window");
    }

    [Test]
    public async Task AReplayedRequestIsRefusedAndASignedRetryIsAccepted()
    {
        var now = RelayFactory.Shared.Clock.Freeze().ToUnixTimeMilliseconds();
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now)).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now)).ShouldBe(401, "replayed_request");
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now + 1)).ShouldBe(200);
    }

    [Test]
    public async Task OfTheSameRequestSentManyTimesAtOnceExactlyOneIsAccepted()
    {
        // Concurrent digests are decided together (one batch may hold several copies of a request): still one winner.
        var now = RelayFactory.Shared.Clock.Freeze().ToUnixTimeMilliseconds();
        for (var round = 0; round < 5; round++)
        {
            var statuses = await Task.WhenAll(Enumerable.Range(0, 20).Select(async _ =>
                (int)(await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now + round)).Status));
            Assert.That(statuses.Count(s => s == 200), Is.EqualTo(1), $"round {round}: {string.Join(",", statuses)}");
            Assert.That(statuses.Count(s => s == 401), Is.EqualTo(19), $"round {round}: the others are replays");
        }
    }

    [Test]
    public async Task AReplayWithTheSignatureInAnotherFormIsStillAReplay()
    {
        var now = RelayFactory.Shared.Clock.Freeze().ToUnixTimeMilliseconds();
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now)).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now, tweak: r =>
        {
            var value = r.Headers.GetValues(Hmac1.SignatureHeader).Single();
            r.Headers.Remove(Hmac1.SignatureHeader);
            r.Headers.Add(Hmac1.SignatureHeader, $"v1={new string('0', 64)},{value[3..]}");
        })).ShouldBe(401, "replayed_request");
    }

    [Test]
    public async Task OneValidSignatureAmongSeveralIsEnoughAndABareHexIsAccepted()
    {
        var now = RelayFactory.Shared.Clock.Freeze().ToUnixTimeMilliseconds();
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now, tweak: r =>
        {
            var value = r.Headers.GetValues(Hmac1.SignatureHeader).Single();
            r.Headers.Remove(Hmac1.SignatureHeader);
            r.Headers.Add(Hmac1.SignatureHeader, $"v1={new string('a', 64)},{value}");
        })).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now - 7, tweak: r =>
        {
            var value = r.Headers.GetValues(Hmac1.SignatureHeader).Single();
            r.Headers.Remove(Hmac1.SignatureHeader);
            r.Headers.Add(Hmac1.SignatureHeader, value[3..]);
        })).ShouldBe(200);
    }

    [Test]
    public async Task ASuspendedTenantIsForbiddenOnlyOnceItsSignatureIsValid()
    {
        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/suspend")).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, secret: "bts_wrong")).ShouldBe(401, "invalid_signature");
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path)).ShouldBe(403, "tenant_suspended");
        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/resume")).ShouldBe(200);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: RelayFactory.Shared.Clock.GetUtcNow().ToUnixTimeMilliseconds() - 3))
            .ShouldBe(200);
    }

    [Test]
    public async Task AReplayIsRefusedByAnotherNodeOnTheSameDatabase()
    {
        await using var otherNode = new RelayFactory();
        var other = new RelayApi(otherNode);
        var now = RelayFactory.Shared.Clock.Freeze();
        otherNode.Clock.Set(now);
        (await Api.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now.ToUnixTimeMilliseconds())).ShouldBe(200);
        (await other.SignedAsync(Tenant, HttpMethod.Get, Path, timestampMs: now.ToUnixTimeMilliseconds())).ShouldBe(401, "replayed_request");
    }

    [Test]
    public async Task ThePublicPathBaseIsPrependedBeforeVerifying()
    {
        await using var behindProxy = new RelayFactory(new Dictionary<string, string?> { ["Relay:PublicPathBase"] = "/chat" });
        var api = new RelayApi(behindProxy);
        var timestamp = behindProxy.Clock.GetUtcNow().ToUnixTimeMilliseconds().ToString();
        var request = new HttpRequestMessage(HttpMethod.Get, Path);
        request.Headers.Add(Hmac1.TenantIdHeader, Tenant.TenantId.ToString());
        request.Headers.Add(Hmac1.TimestampHeader, timestamp);
        request.Headers.Add(Hmac1.SignatureHeader, Hmac1.Sign(Tenant.Secret, timestamp, "GET", "/chat" + Path, []));
        (await api.SendAsync(request)).ShouldBe(200);
    }
}
