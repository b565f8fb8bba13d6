using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>
/// The input policy: each hostile input a black-box run turned into a 500 is now a clear 4xx naming the field, and
/// nothing of it is stored. NUL and other control characters in text, another charset, invalid UTF-8, patterns that
/// accepted a trailing line feed, a malformed token claim.
/// </summary>
public sealed class HostileInputTests : HubTestBase
{
    private static IEnumerable<TestCaseData> NulFields()
    {
        yield return new TestCaseData("/api/v1/relay/provision/operator", (object)new { email = "nul@example.com", display_name = "Ada\u0000" }, "display_name")
            .SetArgDisplayNames("operator display_name");
        yield return new TestCaseData("/api/v1/relay/provision/operator", (object)new { email = "nul\u0000@example.com", display_name = "Ada" }, "email")
            .SetArgDisplayNames("operator email");
        yield return new TestCaseData("/api/v1/relay/provision/operator",
                (object)new { email = "nul2@example.com", display_name = "Ada", routing_keys = new[] { "store_1", "store\u0001" } }, "routing_keys[1]")
            .SetArgDisplayNames("routing key with a control character");
        yield return new TestCaseData("/api/v1/relay/fetch/visitor-token", (object)new { external_user_id = "u\u0000", mode = "human" }, "external_user_id")
            .SetArgDisplayNames("external_user_id");
        yield return new TestCaseData("/api/v1/relay/fetch/visitor-token",
                (object)new { external_user_id = "u1", mode = "human", metadata = new Dictionary<string, object> { ["pl\u0000an"] = "gold" } }, "metadata.pl\\u0000an")
            .SetArgDisplayNames("metadata key");
        yield return new TestCaseData("/api/v1/relay/fetch/visitor-token",
                (object)new { external_user_id = "u1", mode = "human", metadata = new { plan = new[] { "gold\u0000" } } }, "metadata.plan[0]")
            .SetArgDisplayNames("metadata value");
        yield return new TestCaseData("/api/v1/relay/provision/session",
                (object)new { external_user_id = "u1", mode = "human", initial_message = "hi\u0000" }, "initial_message")
            .SetArgDisplayNames("initial message");
    }

    [TestCaseSource(nameof(NulFields))]
    public async Task ControlCharactersInTextAre422NamingTheField(string path, object body, string field)
    {
        var response = (await Api.SignedAsync(Tenant, HttpMethod.Post, path, body)).ShouldBe(422, "validation_failed");
        Assert.That(response.ErrorFields, Does.Contain(field));
    }

    [Test]
    public async Task AMessageMayHoldLineBreaksAndTabsButNotNul()
    {
        var session = await OpenSessionAsync("human");
        var path = $"/api/v1/relay/sessions/{session.SessionId}/messages";
        (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "line 1\r\nline 2\tend", sender = new { type = "system" } })).ShouldBe(201);
        var refused = (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "bad\u0000", sender = new { type = "system" } })).ShouldBe(422, "validation_failed");
        Assert.That(refused.ErrorFields, Is.EqualTo(new[] { "text" }));
        (await Api.SignedAsync(Tenant, HttpMethod.Post, path, RawJson("{\"text\":\"half \\ud800 a pair\",\"sender\":{\"type\":\"system\"}}"))).ShouldBe(400, "bad_request");

        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var hub = Assert.ThrowsAsync<HubException>(() => InvokeAsync(visitor, "Send", new { client_message_id = "n1", text = "x\u0000y" }))!;
        Assert.That(RelayError(hub), Does.StartWith("validation_failed:").And.Contain("text"));
        var history = await InvokeAsync(visitor, "History", new { after_seq = 0 });
        Assert.That(history.EnumerateArray().Count(m => m.GetProperty("text").GetString()!.Contains('\0')), Is.Zero, "nothing stored");
    }

    [Test]
    public async Task WidgetVisitorNamesAndAdminTenantNamesRefuseNul()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode = "human", visitor = new { display_name = "Eve\u0000" } }), Encoding.UTF8,
                "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        Assert.That((await Api.SendAsync(request)).ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("visitor.display_name"));

        var admin = await Api.AdminAsync(HttpMethod.Post, "/api/v1/admin/tenants", new { name = "Acme\u0000", allowed_origins = new[] { "https://acme.example" } });
        Assert.That(admin.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("name"));
        var faq = await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { faq = new[] { new { question = "Hours?", answer = "9 to 5\nMonday\u0000" } } });
        Assert.That(faq.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("faq[0].answer"));
    }

    [TestCase("application/json; charset=utf-16")]
    [TestCase("application/json; charset=iso-8859-1")]
    public async Task AnotherCharsetIs400(string contentType)
    {
        var body = Encoding.Unicode.GetBytes("{\"email\":\"cs@example.com\",\"display_name\":\"Ada\"}");
        var response = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", body,
            tweak: r => r.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType));
        Assert.That(response.ShouldBe(400, "bad_request").Message, Does.Contain("UTF-8"));
    }

    [Test]
    public async Task Utf8WithoutBomOrCharsetIsAccepted()
    {
        var response = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            RawJson("{\"email\":\"utf8@example.com\",\"display_name\":\"Zoë 🌍\"}"),
            tweak: r => r.Content!.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=UTF-8"));
        Assert.That(response.ShouldBe(201).Data.GetProperty("display_name").GetString(), Is.EqualTo("Zoë 🌍"));
    }

    [Test]
    public async Task InvalidUtf8Is400()
    {
        var body = Encoding.UTF8.GetBytes("{\"external_user_id\":\"u1\",\"mode\":\"human\",\"metadata\":{\"k\":\"")
            .Concat(new byte[] { 0xC3, 0x28, 0xFF })
            .Concat(Encoding.UTF8.GetBytes("\"}}"))
            .ToArray();
        var response = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", body);
        Assert.That(response.ShouldBe(400, "bad_request").Message, Does.Contain("UTF-8"));
    }

    [Test]
    public async Task PatternsDoNotAcceptATrailingLineFeed()
    {
        var session = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "u1", mode = "human", routing_key = "store_42\n" });
        Assert.That(session.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("routing_key"));
        var op = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email = "lf@example.com", display_name = "Lf", routing_keys = new[] { "store_42\n" } });
        Assert.That(op.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("routing_keys[0]"));
        var color = await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { branding = new { primary_color = "#ffffff\n" } });
        Assert.That(color.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("branding.primary_color"));
        var email = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email = "lf@example.com\n", display_name = "Lf" });
        Assert.That(email.ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("email"));
    }

    [TestCase("\"not-an-object\"")]
    [TestCase("\"{not json\"")]
    [TestCase("[\"a\"]")]
    [TestCase("42")]
    public async Task AnOperatorTokenWithAMalformedTenantClaimIs401(string tids)
    {
        var factory = RelayFactory.Shared.Services.GetRequiredService<RelayTokenFactory>();
        var (token, _) = factory.Create(RelayTokenNames.OperatorAudience, TimeSpan.FromMinutes(5), new Dictionary<string, object>
        {
            ["sub"] = Guid.NewGuid().ToString(), [RelayTokenNames.TenantRoles] = JsonDocument.Parse(tids).RootElement, [RelayTokenNames.TokenVersion] = 1,
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/hubs/operator/negotiate?negotiateVersion=1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await Api.Http.SendAsync(request);
        Assert.That((int)response.StatusCode, Is.EqualTo(401), await response.Content.ReadAsStringAsync());
    }

    [Test]
    public async Task WidgetLanguagesAndGreetingsAreChecked()
    {
        var path = $"/api/v1/admin/tenants/{Tenant.TenantId}";
        Assert.That((await Api.AdminAsync(HttpMethod.Patch, path, new { branding = new { language = "klingon" } })).ShouldBe(422, "validation_failed").ErrorFields,
            Does.Contain("branding.language"));
        Assert.That((await Api.AdminAsync(HttpMethod.Patch, path, new { branding = new { greetings = new Dictionary<string, string> { ["xx"] = "Hi" } } }))
            .ShouldBe(422, "validation_failed").ErrorFields, Does.Contain("branding.greetings"));
        var ok = (await Api.AdminAsync(HttpMethod.Patch, path,
            new { branding = new { language = "de", greetings = new Dictionary<string, string> { ["de"] = "Hallo!", ["es"] = "¡Hola!" } } })).ShouldBe(200).Data;
        var removed = (await Api.AdminAsync(HttpMethod.Patch, path, new { branding = new { greetings = new Dictionary<string, string?> { ["es"] = null } } }))
            .ShouldBe(200).Data;
        Assert.That(removed.GetProperty("configuration").GetProperty("branding").GetProperty("greetings").EnumerateObject().Select(p => p.Name),
            Is.EqualTo(new[] { "de" }), "null removes one language, the others stay: " + ok);
    }

    private static byte[] RawJson(string json) => Encoding.UTF8.GetBytes(json);
}
