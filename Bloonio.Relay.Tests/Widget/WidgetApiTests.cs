using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.IdentityModel.JsonWebTokens;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Widget;

/// <summary>SPEC 5: widget key, origins (exact, wildcard, foreign, missing), CORS preflights, sessions and resume.</summary>
public sealed class WidgetApiTests : TenantTestBase
{
    private async Task ConfigureOriginsAsync(object patch) =>
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", patch)).ShouldBe(200);

    private Task<ApiResponse> CreateSessionAsync(string? origin, object? body = null, string? widgetKey = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(System.Text.Json.JsonSerializer.Serialize(body ?? new { }, RelayApi.SnakeCase),
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", widgetKey ?? Tenant.WidgetKey);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return Api.SendAsync(request);
    }

    [Test]
    public async Task AnAllowedOriginOpensABotSessionWithAVisitorToken()
    {
        var response = (await CreateSessionAsync("https://shop.example.com", new { visitor = new { display_name = "Ada" } })).ShouldBe(201);
        var data = response.Data;
        var jwt = new JsonWebToken(data.GetProperty("visitor_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(data.GetProperty("mode").GetString(), Is.EqualTo("bot"));
            Assert.That(data.GetProperty("status").GetString(), Is.EqualTo("open"));
            Assert.That(data.GetProperty("hub_url").GetString(), Is.EqualTo("/hubs/visitor"));
            Assert.That(data.GetProperty("resume_token").GetString(), Does.StartWith("brt_"));
            Assert.That(jwt.Audiences, Is.EqualTo(new[] { "bloonio-relay-visitor" }));
            Assert.That(jwt.Subject, Is.EqualTo(data.GetProperty("visitor_id").GetString()));
            Assert.That(jwt.GetClaim("tid").Value, Is.EqualTo(Tenant.TenantId.ToString()));
            Assert.That(jwt.GetClaim("sid").Value, Is.EqualTo(data.GetProperty("session_id").GetString()));
            Assert.That(data.GetProperty("expires_at").GetInt64(), Is.EqualTo(new DateTimeOffset(jwt.ValidTo).ToUnixTimeSeconds()));
            Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin").Single(), Is.EqualTo("https://shop.example.com"));
        });
    }

    [Test]
    public async Task SessionsOpenedAtOnceAreEachStoredWithTheirOwnEvent()
    {
        // Concurrent sessions are written together (group commit): each is still its own row with its own event.
        // (24 and 3 resumes: within the 30 new sessions a minute an address may open.)
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i =>
            CreateSessionAsync("https://shop.example.com", new { visitor = new { display_name = $"Racer {i}" } })));
        var ids = responses.Select(r => r.ShouldBe(201).Data.GetProperty("session_id").GetString()).ToList();
        Assert.That(ids.Distinct().Count(), Is.EqualTo(24));

        List<string?> announced = [];
        await Eventually.HoldsAsync(async () =>
        {
            var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0&limit=200")).ShouldBe(200).Data.GetProperty("events");
            announced = feed.EnumerateArray().Where(e => e.GetProperty("type").GetString() == "session.created")
                .Select(e => e.GetProperty("data").GetProperty("session_id").GetString()).ToList();
            return announced.Count >= 24;
        }, "every session.created event is numbered");
        Assert.That(announced, Is.EquivalentTo(ids), "one event per session, none lost or doubled");
        foreach (var (response, i) in responses.Select((r, i) => (r, i)).Where(x => x.i % 10 == 0))
        {
            var resumed = (await CreateSessionAsync("https://shop.example.com", new { resume_token = response.Data.GetProperty("resume_token").GetString() }))
                .ShouldBe(200).Data;
            Assert.That(resumed.GetProperty("session_id").GetString(), Is.EqualTo(ids[i]), "each session keeps its own resume token");
        }
    }

    [TestCase("https://eu.acme.com", 201)]
    [TestCase("https://acme.com", 403)]
    [TestCase("https://a.b.acme.com", 403)]
    [TestCase("https://evil.example.org", 403)]
    public async Task WildcardOriginsMatchOneLevel(string origin, int expected)
    {
        await ConfigureOriginsAsync(new { allowed_origins = new[] { "https://*.acme.com" } });
        var response = (await CreateSessionAsync(origin)).ShouldBe(expected, expected == 201 ? null : "origin_not_allowed");
        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.EqualTo(expected == 201));
    }

    [Test]
    public async Task NoOriginIsAllowedOnlyForNativeClients()
    {
        (await CreateSessionAsync(null)).ShouldBe(403, "origin_not_allowed");
        await ConfigureOriginsAsync(new { allow_native_clients = true });
        (await CreateSessionAsync(null)).ShouldBe(201);
    }

    [Test]
    public async Task AnUnknownWidgetKeyIs401AndASuspendedTenantIs403()
    {
        (await CreateSessionAsync("https://shop.example.com", widgetKey: "bwk_nope")).ShouldBe(401, "invalid_widget_key");
        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/suspend")).ShouldBe(200);
        (await CreateSessionAsync("https://shop.example.com")).ShouldBe(403, "tenant_suspended");
    }

    [Test]
    public async Task AResumeTokenOfAnOpenSessionResumesIt()
    {
        var first = (await CreateSessionAsync("https://shop.example.com")).ShouldBe(201).Data;
        var resumed = (await CreateSessionAsync("https://shop.example.com", new { resume_token = first.GetProperty("resume_token").GetString() }))
            .ShouldBe(200).Data;
        Assert.That(resumed.GetProperty("session_id").GetString(), Is.EqualTo(first.GetProperty("session_id").GetString()));

        var fresh = (await CreateSessionAsync("https://shop.example.com", new { resume_token = "brt_unknown" })).ShouldBe(201).Data;
        Assert.That(fresh.GetProperty("session_id").GetString(), Is.Not.EqualTo(first.GetProperty("session_id").GetString()));
    }

    [Test]
    public async Task InvalidSessionFieldsAre422()
    {
        var response = (await CreateSessionAsync("https://shop.example.com", new
        {
            mode = "robot",
            routing_key = "store 1",
            visitor = new { email = "nope" },
            metadata = new { blob = new string('x', 5000) },
        })).ShouldBe(422, "validation_failed");
        Assert.That(response.ErrorFields, Is.EquivalentTo(new[] { "mode", "routing_key", "visitor.email", "metadata" }));
    }

    [Test]
    public async Task ConfigReturnsBrandingAndFlagsForAnAllowedOrigin()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/api/v1/widget/config");
        request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        var data = (await Api.SendAsync(request)).ShouldBe(200).Data;
        Assert.That(data.GetProperty("branding").GetProperty("primary_color").GetString(), Does.Match("^#[0-9A-F]{6}$"));
        Assert.That(data.GetProperty("feature_flags").GetProperty("human_handoff").GetBoolean(), Is.True);
    }

    [TestCase("https://shop.example.com", 204)]
    [TestCase("https://never-allowed.example.net", 403)]
    public async Task PreflightsAreAnsweredForAllowedOriginsOnly(string origin, int expected)
    {
        var request = new HttpRequestMessage(HttpMethod.Options, "/api/v1/widget/sessions");
        request.Headers.Add("Origin", origin);
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type,x-bloonio-widget-key");
        using var response = await Api.Http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(expected));
        Assert.That(response.Headers.Contains("Access-Control-Allow-Origin"), Is.EqualTo(expected == 204));
    }
}
