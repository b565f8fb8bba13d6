using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>
/// The relay on Kestrel (loopback, a free port) with the development tenant seeded, and Debian's Chromium driven by
/// Playwright (nothing downloaded). Screenshots go to the test's work directory and are attached to the results.
/// </summary>
public abstract class BrowserTestBase
{
    protected RelayFactory Relay { get; private set; } = null!;
    protected RelayApi Api { get; private set; } = null!;
    protected string BaseUrl { get; private set; } = null!;
    protected TestTenant Demo { get; private set; } = null!;
    private IPlaywright _playwright = null!;
    protected IBrowser Browser { get; private set; } = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        Relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["Relay:DispatchIntervalSeconds"] = "1", ["Relay:WebhookIntervalSeconds"] = "1", ["Relay:MaintenanceIntervalSeconds"] = "15",
        });
        BaseUrl = Relay.StartOnKestrel();
        Api = new RelayApi(Relay);

        await DevelopmentSeeder.SeedAsync(Relay.Services, default);
        var created = (await Api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{DevelopmentSeeder.DemoTenantId}")).ShouldBe(200).Data;
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{DevelopmentSeeder.DemoTenantId}", new
        {
            allowed_origins = new[] { BaseUrl },
            faq = new[] { new { question = "What are your opening hours?", answer = "We are open 9:00–18:00, Monday to Friday." } },
        })).ShouldBe(200);
        var secret = Relay.Services.GetRequiredService<Bloonio.Relay.Core.Security.ISecretProtector>().Unprotect(
            (await Relay.Services.GetRequiredService<Bloonio.Relay.Core.Security.ITenantCredentialStore>().FindAsync(DevelopmentSeeder.DemoTenantId, DateTimeOffset.UtcNow, default))!
            .ProtectedSecrets[0], Bloonio.Relay.Core.Security.SecretPurpose.TenantSecret(DevelopmentSeeder.DemoTenantId));
        Demo = new TestTenant(DevelopmentSeeder.DemoTenantId, secret, created.GetProperty("widget_public_key").GetString()!);

        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        });
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
        await Relay.DisposeAsync();
    }

    protected async Task<IPage> NewPageAsync(int width = 1366, int height = 900, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = width, Height = height }, Locale = locale,
        });
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        var directory = Path.Combine(TestContext.CurrentContext.WorkDirectory, "screenshots");
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, name + ".png");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        TestContext.AddTestAttachment(path, name);
    }

    protected async Task<string> OperatorTokenAsync(string email, string name, string[]? routingKeys = null)
    {
        (await Api.SignedAsync(Demo, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = name, routing_keys = routingKeys }))
            .ShouldBe(201);
        return (await Api.SignedAsync(Demo, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 1))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
    }
}
