using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Http;

/// <summary>
/// The hubs across origins: negotiate and the fallback transports answer CORS for the token's tenant's origins only,
/// and a hub request (a WebSocket upgrade included) from an origin its tenant does not allow is refused.
/// </summary>
public sealed class HubCorsTests : HubTestBase
{
    private const string Allowed = "https://shop.example.com"; // every test tenant's allowed origin

    private static HttpRequestMessage Negotiate(string hub, string? token, string origin, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Post, $"/hubs/{hub}/negotiate?negotiateVersion=1");
        request.Headers.Add("Origin", origin);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return request;
    }

    [Test]
    public async Task APreflightIsAnsweredForAnOriginSomeTenantAllowsAndRefusedOtherwise()
    {
        foreach (var (origin, expected) in new[] { (Allowed, HttpStatusCode.NoContent), ("https://evil.example.net", HttpStatusCode.Forbidden) })
        {
            var preflight = Negotiate("visitor", null, origin, HttpMethod.Options);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization,x-requested-with,x-signalr-user-agent");
            using var response = await Api.Http.SendAsync(preflight);

            Assert.That(response.StatusCode, Is.EqualTo(expected), origin);
            Assert.That(response.Headers.TryGetValues("Access-Control-Allow-Origin", out var allow) ? allow.Single() : null,
                Is.EqualTo(expected == HttpStatusCode.NoContent ? origin : null), origin);
            if (expected == HttpStatusCode.NoContent)
            {
                Assert.That(response.Headers.GetValues("Access-Control-Allow-Headers").Single(), Does.Contain("authorization"));
                Assert.That(response.Headers.GetValues("Access-Control-Allow-Credentials").Single(), Is.EqualTo("true"));
            }
        }
    }

    [Test]
    public async Task NegotiateFromTheTenantsOriginGetsCorsHeaders()
    {
        var session = await OpenSessionAsync();
        using var visitor = await Api.Http.SendAsync(Negotiate("visitor", session.Token, Allowed));
        Assert.That(visitor.StatusCode, Is.EqualTo(HttpStatusCode.OK), await visitor.Content.ReadAsStringAsync());
        Assert.That(visitor.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo(Allowed));
        Assert.That(JsonDocument.Parse(await visitor.Content.ReadAsStringAsync()).RootElement.GetProperty("availableTransports").GetArrayLength(),
            Is.EqualTo(3), "WebSockets, server-sent events and long polling are offered");

        using var op = await Api.Http.SendAsync(Negotiate("operator", await OperatorTokenAsync(null), Allowed));
        Assert.That(op.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(op.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo(Allowed));
    }

    [Test]
    public async Task AnOriginOnlyAnotherTenantAllowsIsRefusedWhateverTheTransport()
    {
        var other = await Api.CreateTenantAsync();
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{other.TenantId}",
            new { allowed_origins = new[] { "https://other.example.org" } })).ShouldBe(200);
        var session = await OpenSessionAsync();

        var refused = await Api.SendAsync(Negotiate("visitor", session.Token, "https://other.example.org"));
        refused.ShouldBe(403, "origin_not_allowed");
        Assert.That(refused.Headers.Contains("Access-Control-Allow-Origin"), Is.False);

        var socket = RelayFactory.Shared.Server.CreateWebSocketClient();
        socket.ConfigureRequest = r =>
        {
            r.Headers.Origin = "https://other.example.org";
            r.Headers.Authorization = "Bearer " + session.Token;
        };
        Assert.That(async () => await socket.ConnectAsync(new Uri(RelayFactory.Shared.Server.BaseAddress, "/hubs/visitor"), default),
            Throws.Exception, "a WebSocket upgrade from that origin is refused too");
    }

    [Test]
    public async Task TheRelaysOwnPagesAndOriginlessClientsNeedNoCors()
    {
        var session = await OpenSessionAsync();
        var samePage = Negotiate("visitor", session.Token, "https://relay.internal.example");
        samePage.Headers.Add("Sec-Fetch-Site", "same-origin");
        using var same = await Api.Http.SendAsync(samePage);
        Assert.That(same.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(same.Headers.Contains("Access-Control-Allow-Origin"), Is.False);

        var native = new HttpRequestMessage(HttpMethod.Post, "/hubs/visitor/negotiate?negotiateVersion=1")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", session.Token) },
        };
        using var sdk = await Api.Http.SendAsync(native);
        Assert.That(sdk.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }
}
