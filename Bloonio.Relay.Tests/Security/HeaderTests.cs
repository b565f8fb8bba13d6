using System.Net;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>
/// Response headers: CSP without inline scripts and framing refused on our pages (the inbox only inside the console),
/// nosniff and a referrer policy everywhere, the correlation id on error answers too; and behind a trusted proxy, the
/// client's address and HTTPS come from X-Forwarded-* (Secure cookie, HSTS, per-address limits), never from anyone else.
/// </summary>
public sealed class HeaderTests : TenantTestBase
{
    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(",", values)
        : response.Content.Headers.TryGetValues(name, out var content) ? string.Join(",", content) : "";

    [TestCase("/console/login")]
    [TestCase("/console/password/forgot")]
    public async Task ConsolePagesCannotBeFramedNorRunInlineScript(string path)
    {
        using var response = await Api.Http.GetAsync(path);
        var csp = Header(response, "Content-Security-Policy");
        Assert.Multiple(() =>
        {
            Assert.That(csp, Does.Contain("frame-ancestors 'none'"));
            Assert.That(csp, Does.Contain("script-src 'self';"), "no inline script, no eval");
            Assert.That(csp, Does.Not.Contain("unsafe"));
            Assert.That(Header(response, "X-Frame-Options"), Is.EqualTo("DENY"));
            Assert.That(Header(response, "X-Content-Type-Options"), Is.EqualTo("nosniff"));
            Assert.That(Header(response, "Referrer-Policy"), Is.EqualTo("strict-origin-when-cross-origin"));
        });
    }

    [Test]
    public async Task TheInboxCanBeFramedByTheConsoleOnly()
    {
        using var response = await Api.Http.GetAsync("/operator");
        Assert.That(Header(response, "Content-Security-Policy"), Does.Contain("frame-ancestors 'self'"));
        Assert.That(Header(response, "X-Frame-Options"), Is.EqualTo("SAMEORIGIN"));
    }

    [Test]
    public async Task ErrorAnswersCarryTheCorrelationIdAndTheApiPolicy()
    {
        var unsigned = await Api.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v1/relay/operators"));
        var invalid = await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email = "nope" });
        foreach (var response in new[] { unsigned, invalid })
        {
            Assert.That(response.Headers.TryGetValues("X-Correlation-Id", out var ids) && ids.Single().Length > 0, Is.True, response.Raw);
        }

        unsigned.ShouldBe(401, "missing_signature");
        invalid.ShouldBe(422, "validation_failed");
        using var raw = await Api.Http.GetAsync("/api/v1/relay/operators");
        Assert.That(Header(raw, "Content-Security-Policy"), Is.EqualTo("default-src 'none'; frame-ancestors 'none'"));
    }

    [Test]
    public async Task BehindATrustedProxyTheForwardedAddressAndSchemeAreBelieved()
    {
        await using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:TrustedProxies"] = "127.0.0.1/32, ::1" });
        var url = new Uri(relay.StartOnKestrel());
        var api = new RelayApi(url);
        var tenant = await api.CreateTenantAsync();

        // HTTPS as the proxy says: the console cookie is Secure, HSTS is sent.
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = url };
        var login = new HttpRequestMessage(HttpMethod.Get, "/console/login");
        login.Headers.Host = "relay.example.com";
        login.Headers.Add("X-Forwarded-Proto", "https");
        using var page = await http.SendAsync(login);
        Assert.That(Header(page, "Strict-Transport-Security"), Does.Contain("max-age="));
        Assert.That(page.Headers.GetValues("Set-Cookie").All(c => c.Contains("; secure", StringComparison.OrdinalIgnoreCase)), Is.True,
            string.Join("\n", page.Headers.GetValues("Set-Cookie")));
        var email = $"proxy-{Guid.NewGuid():N}@console.test";
        await relay.Services.GetRequiredService<IConsoleRepository>().EnsureMemberAsync(tenant.TenantId, email, null,
            relay.Services.GetRequiredService<IPasswordHasher>().Hash("a long enough password"), "owner", DateTimeOffset.UtcNow, default);
        var token = System.Text.RegularExpressions.Regex.Match(await page.Content.ReadAsStringAsync(), "name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"").Groups[1].Value;
        var signIn = new HttpRequestMessage(HttpMethod.Post, "/console/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["email"] = email, ["password"] = "a long enough password", ["__RequestVerificationToken"] = token,
            }),
        };
        signIn.Headers.Host = "relay.example.com";
        signIn.Headers.Add("X-Forwarded-Proto", "https");
        signIn.Headers.Add("Cookie", string.Join("; ", page.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0])));
        using var signedIn = await http.SendAsync(signIn);
        Assert.That(signedIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await signedIn.Content.ReadAsStringAsync());
        Assert.That(signedIn.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("bloonio_console=", StringComparison.Ordinal)),
            Does.Contain("; secure").IgnoreCase, "the console cookie is Secure behind an HTTPS proxy");

        // Per-address widget limits see the visitor's address, not the proxy's: 30 a minute each.
        for (var i = 0; i < 31; i++)
        {
            (await WidgetSessionFromAsync(api, tenant, $"203.0.113.{i + 1}")).ShouldBe(201);
        }

        for (var i = 0; i < 30; i++)
        {
            (await WidgetSessionFromAsync(api, tenant, "198.51.100.7")).ShouldBe(201);
        }

        (await WidgetSessionFromAsync(api, tenant, "198.51.100.7")).ShouldBe(429, "rate_limited");
    }

    [Test]
    public async Task WithoutATrustedProxyForwardedHeadersAreIgnored()
    {
        for (var i = 0; i < 30; i++)
        {
            (await WidgetSessionFromAsync(Api, Tenant, $"203.0.113.{i + 1}")).ShouldBe(201);
        }

        (await WidgetSessionFromAsync(Api, Tenant, "203.0.113.200")).ShouldBe(429, "rate_limited");
    }

    private static Task<ApiResponse> WidgetSessionFromAsync(RelayApi api, TestTenant tenant, string address)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode = "human" }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        request.Headers.Add("X-Forwarded-For", address);
        return api.SendAsync(request);
    }
}
