using System.Net;
using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Console;

/// <summary>The console over HTTP: sign-in, antiforgery, roles on the server, forms that answer with the domain's errors.</summary>
public sealed partial class ConsoleTests : TenantTestBase
{
    internal const string Password = "correct horse battery";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private async Task<string> MemberAsync(string role)
    {
        var email = $"{role}-{Guid.NewGuid():N}@console.test";
        var services = RelayFactory.Shared.Services;
        await services.GetRequiredService<IConsoleRepository>().EnsureMemberAsync(Tenant.TenantId, email, role, services
            .GetRequiredService<IPasswordHasher>().Hash(Password), role, DateTimeOffset.UtcNow, default);
        return email;
    }

    internal static HttpClient Browser() =>
        RelayFactory.Shared.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });

    private static async Task<string> TokenAsync(HttpClient browser, string path)
    {
        var page = await (await browser.GetAsync(path)).Content.ReadAsStringAsync();
        return AntiforgeryField().Match(page).Groups[1].Value;
    }

    internal static async Task<HttpResponseMessage> PostAsync(HttpClient browser, string path, Dictionary<string, string> form, string? tokenFrom = null)
    {
        form["__RequestVerificationToken"] = await TokenAsync(browser, tokenFrom ?? path);
        return await browser.PostAsync(path, new FormUrlEncodedContent(form));
    }

    private static async Task<HttpClient> SignedInAsync(string email)
    {
        var browser = Browser();
        var response = await PostAsync(browser, "/console/login", new() { ["email"] = email, ["password"] = Password });
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), await response.Content.ReadAsStringAsync());
        return browser;
    }

    [Test]
    public async Task AWrongPasswordIsRefusedWithoutSayingWhichPartWasWrong()
    {
        var email = await MemberAsync("owner");
        var browser = Browser();
        var wrong = await PostAsync(browser, "/console/login", new() { ["email"] = email, ["password"] = "nope" });
        var unknown = await PostAsync(browser, "/console/login", new() { ["email"] = "nobody@console.test", ["password"] = "nope" });
        Assert.That((wrong.StatusCode, unknown.StatusCode), Is.EqualTo((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized)));
        Assert.That(await wrong.Content.ReadAsStringAsync(), Does.Contain("Wrong email or password"));
        Assert.That((await browser.GetAsync("/console")).StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "still signed out");
    }

    [Test]
    public async Task APostWithoutTheAntiforgeryTokenIs400()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        var response = await browser.PostAsync("/console/keys/rotate",
            new FormUrlEncodedContent(new Dictionary<string, string> { ["kind"] = "tenant_secret", ["graceSeconds"] = "0" }));
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task AnOperatorGets403OnOwnerPagesAndReachesTheInbox()
    {
        var browser = await SignedInAsync(await MemberAsync("operator"));
        foreach (var page in new[] { "/console", "/console/keys", "/console/settings", "/console/members", "/console/audit" })
        {
            Assert.That((await browser.GetAsync(page)).StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), page);
        }

        var forged = await PostAsync(browser, "/console/keys/rotate", new() { ["kind"] = "tenant_secret", ["graceSeconds"] = "0" }, "/console/inbox");
        Assert.That(forged.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden), "the server enforces roles, not the menu");
        var inbox = await browser.GetAsync("/console/inbox");
        Assert.That(inbox.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await inbox.Content.ReadAsStringAsync(), Does.Contain("/operator#token="));
    }

    [Test]
    public async Task RotatingTheSecretShowsItOnceAndTheOldOneStopsAtGraceZero()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        var response = await PostAsync(browser, "/console/keys/rotate", new() { ["kind"] = "tenant_secret", ["graceSeconds"] = "0" }, "/console/keys");
        var page = await response.Content.ReadAsStringAsync();
        var secret = Regex.Match(page, "data-testid=\"new-key\">(bts_[A-Za-z0-9_-]+)<").Groups[1].Value;
        Assert.That(secret, Does.StartWith("bts_"));
        Assert.That(await (await browser.GetAsync("/console/keys")).Content.ReadAsStringAsync(), Does.Not.Contain(secret), "shown once");
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(401, "invalid_signature");
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators", secret: secret, timestampMs: DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1))
            .ShouldBe(200);
    }

    [Test]
    public async Task InvalidSettingsAre422WithTheFieldsMessage()
    {
        var browser = await SignedInAsync(await MemberAsync("admin"));
        var response = await PostAsync(browser, "/console/settings",
            new() { ["AllowedOrigins"] = "not an origin", ["Title"] = "Help", ["PrimaryColor"] = "#112233", ["Position"] = "right" });
        Assert.That(response.StatusCode, Is.EqualTo((HttpStatusCode)422));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("must be an origin"));

        var ok = await PostAsync(browser, "/console/settings", new()
        {
            ["AllowedOrigins"] = "https://shop.example.com\nhttps://*.example.org", ["Title"] = "Help desk", ["PrimaryColor"] = "#112233",
            ["Position"] = "left", ["HumanHandoff"] = "true", ["Bot"] = "true",
        });
        Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var tenant = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200).Data.GetProperty("configuration");
        Assert.That(tenant.GetProperty("allowed_origins").GetArrayLength(), Is.EqualTo(2));
        Assert.That(tenant.GetProperty("branding").GetProperty("title").GetString(), Is.EqualTo("Help desk"));
    }

    [Test]
    public async Task TheLastOwnerCannotLeaveAndAnInviteLinkWorksOnce()
    {
        var ownerEmail = await MemberAsync("owner");
        var browser = await SignedInAsync(ownerEmail);
        var owner = (await RelayFactory.Shared.Services.GetRequiredService<IConsoleRepository>().MembersAsync(Tenant.TenantId, default)).Single();
        var refused = await PostAsync(browser, "/console/members/role", new() { ["userId"] = owner.UserId.ToString(), ["role"] = "remove" }, "/console/members");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Conflict));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("last owner"));

        var invited = await PostAsync(browser, "/console/members/invite", new() { ["email"] = "new-admin@console.test", ["role"] = "admin" }, "/console/members");
        var link = Regex.Match(await invited.Content.ReadAsStringAsync(), "data-testid=\"invite-link\">[^<]*(/console/invite/bmi_[A-Za-z0-9_-]+)<").Groups[1].Value;
        Assert.That(link, Does.StartWith("/console/invite/"));

        var guest = Browser();
        var joined = await PostAsync(guest, link, new() { ["displayName"] = "New Admin", ["password"] = "a long enough password" });
        Assert.That(joined.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var again = await PostAsync(Browser(), link, new() { ["displayName"] = "Replay", ["password"] = "another long password" });
        Assert.That(again.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "one-time link");
        var signIn = await PostAsync(Browser(), "/console/login", new() { ["email"] = "new-admin@console.test", ["password"] = "a long enough password" });
        Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
    }

    [Test]
    public async Task CannedRepliesAreManagedFromTheConsole()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        var saved = await PostAsync(browser, "/console/canned",
            new() { ["title"] = "Refund", ["shortcut"] = "/refund", ["text"] = "Hi {{visitor.name}}, your refund is on its way." }, "/console/canned");
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var page = await (await browser.GetAsync("/console/canned")).Content.ReadAsStringAsync();
        Assert.That(page, Does.Contain("/refund").And.Contain("your refund is on its way"));
        var refused = await PostAsync(browser, "/console/canned", new() { ["title"] = "Bad", ["shortcut"] = "Not OK", ["text"] = "x" }, "/console/canned");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.UnprocessableEntity));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("shortcut"));
        var listed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/canned-responses")).ShouldBe(200).Data;
        Assert.That(listed.EnumerateArray().Select(c => c.GetProperty("shortcut").GetString()), Is.EqualTo(new[] { "refund" }));
    }

    [Test]
    public async Task TheOverviewChartsThirtyDaysAndTheReportDownloadsAsCsv()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        var page = await (await browser.GetAsync("/console")).Content.ReadAsStringAsync();
        var days = Regex.Matches(page, "data-testid=\"day\" data-date=\"([0-9-]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.That(days, Has.Count.EqualTo(30), "30 slots, a quiet day included");
        Assert.That(days[^1], Is.EqualTo(DateTime.UtcNow.ToString("yyyy-MM-dd")), "today last");
        Assert.That(page, Does.Contain("First response").And.Contain("CSAT"));

        using var csv = await browser.GetAsync("/console/reports.csv");
        Assert.That(csv.Content.Headers.ContentType?.MediaType, Is.EqualTo("text/csv"));
        var lines = (await csv.Content.ReadAsStringAsync()).TrimEnd().Split('\n');
        Assert.That(lines[0], Does.StartWith("routing_key,conversations,closed,first_response_seconds"));
        Assert.That(lines[^1], Does.StartWith("(total),"));
    }

    [Test]
    public async Task TheWidgetsLanguageAndGreetingsAreSetInTheConsole()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        Dictionary<string, string> Form(string greetings) => new()
        {
            ["AllowedOrigins"] = "https://shop.example.com", ["Title"] = "Help", ["PrimaryColor"] = "#112233", ["Position"] = "right",
            ["Language"] = "fr", ["Greetings"] = greetings,
        };
        Assert.That((await PostAsync(browser, "/console/settings", Form("fr: Bonjour !\nes: ¡Hola!"))).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var branding = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200).Data
            .GetProperty("configuration").GetProperty("branding");
        Assert.That(branding.GetProperty("language").GetString(), Is.EqualTo("fr"));
        Assert.That(branding.GetProperty("greetings").GetProperty("es").GetString(), Is.EqualTo("¡Hola!"));

        Assert.That((await PostAsync(browser, "/console/settings", Form("fr: Salut"))).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var after = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200).Data
            .GetProperty("configuration").GetProperty("branding").GetProperty("greetings");
        Assert.That(after.EnumerateObject().Select(p => $"{p.Name}={p.Value.GetString()}"), Is.EqualTo(new[] { "fr=Salut" }), "a line removed is a language removed");
        var refused = await PostAsync(browser, "/console/settings", Form("xx: nope"));
        Assert.That(refused.StatusCode, Is.EqualTo((HttpStatusCode)422));
    }

    [Test]
    public async Task BusinessHoursAreSetInTheConsoleAndShownAgain()
    {
        var browser = await SignedInAsync(await MemberAsync("owner"));
        Dictionary<string, string> Form(string weekly, string queues) => new()
        {
            ["AllowedOrigins"] = "https://shop.example.com", ["Title"] = "Help", ["PrimaryColor"] = "#112233", ["Position"] = "right",
            ["HoursTimeZone"] = "Europe/Paris", ["HoursWeekly"] = weekly, ["HoursHolidays"] = "2026-12-25\n2027-01-01", ["HoursByQueue"] = queues,
            ["Attachments"] = "true", ["MaxAttachmentMiB"] = "5",
        };
        var saved = await PostAsync(browser, "/console/settings",
            Form("mon: 09:00-12:00, 13:00-18:00\nsat: 10:00-14:00", "store_42 | America/New_York | mon: 09:00-17:00; tue: 09:00-17:00"));
        Assert.That(saved.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var configuration = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200).Data.GetProperty("configuration");
        Assert.That(configuration.GetProperty("feature_flags").GetProperty("attachments").GetBoolean(), Is.True, "files turned on in the console");
        Assert.That(configuration.GetProperty("max_attachment_bytes").GetInt32(), Is.EqualTo(5 * 1024 * 1024));
        var hours = configuration.GetProperty("hours");
        Assert.That(hours.GetProperty("time_zone").GetString(), Is.EqualTo("Europe/Paris"));
        Assert.That(hours.GetProperty("weekly").GetProperty("mon").EnumerateArray().Select(r => r.GetString()), Is.EqualTo(new[] { "09:00-12:00", "13:00-18:00" }));
        Assert.That(hours.GetProperty("holidays").GetArrayLength(), Is.EqualTo(2));
        var queue = configuration.GetProperty("hours_by_routing_key").GetProperty("store_42");
        Assert.That(queue.GetProperty("time_zone").GetString(), Is.EqualTo("America/New_York"));
        Assert.That(queue.GetProperty("weekly").EnumerateObject().Select(d => d.Name), Is.EquivalentTo(new[] { "mon", "tue" }));

        var page = await (await browser.GetAsync("/console/settings")).Content.ReadAsStringAsync();
        Assert.That(page, Does.Contain("mon: 09:00-12:00, 13:00-18:00"), "the form shows what is saved");
        Assert.That(page, Does.Contain("store_42 | America/New_York | mon: 09:00-17:00; tue: 09:00-17:00"));

        var refused = await PostAsync(browser, "/console/settings", Form("monday: 9-5", ""));
        Assert.That(refused.StatusCode, Is.EqualTo((HttpStatusCode)422));
        Assert.That(await refused.Content.ReadAsStringAsync(), Does.Contain("is not a day"));

        Assert.That((await PostAsync(browser, "/console/settings", Form("", ""))).StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
        var cleared = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{Tenant.TenantId}")).ShouldBe(200).Data.GetProperty("configuration");
        Assert.That(cleared.TryGetProperty("hours", out var none) ? none.ValueKind : System.Text.Json.JsonValueKind.Null, Is.EqualTo(System.Text.Json.JsonValueKind.Null), "no day: always open");
        Assert.That(cleared.GetProperty("hours_by_routing_key").EnumerateObject(), Is.Empty);
    }
}
