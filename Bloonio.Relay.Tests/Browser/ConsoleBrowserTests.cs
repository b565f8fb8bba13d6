using Bloonio.Relay.Web.Hosting;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>The console in Chromium: sign-in (failing, then as the demo owner), rotation, provisioning, origins, screenshots.</summary>
[NonParallelizable]
public sealed class ConsoleBrowserTests : BrowserTestBase
{
    private async Task<IPage> SignInAsync()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(BaseUrl + "/console/login");
        await page.FillAsync("#email", DevelopmentSeeder.DemoOwnerEmail);
        await page.FillAsync("#password", DevelopmentSeeder.DemoOwnerPassword);
        await page.ClickAsync("button[type=submit]");
        await page.WaitForURLAsync(BaseUrl + "/console");
        return page;
    }

    [Test]
    public async Task AFailingLoginSaysSoAndTheOwnerGetsTheOverview()
    {
        var page = await NewPageAsync();
        await page.GotoAsync(BaseUrl + "/console/login");
        await ScreenshotAsync(page, "console-login");
        await page.FillAsync("#email", DevelopmentSeeder.DemoOwnerEmail);
        await page.FillAsync("#password", "wrong password");
        await page.ClickAsync("button[type=submit]");
        await Assertions.Expect(page.GetByTestId("login-error")).ToContainTextAsync("Wrong email or password");

        var owner = await SignInAsync();
        await Assertions.Expect(owner.GetByRole(AriaRole.Heading, new() { Name = "Overview" })).ToBeVisibleAsync();
        await ScreenshotAsync(owner, "console-overview");
    }

    [Test]
    public async Task RotatingProvisioningAndChangingOriginsFromTheConsole()
    {
        var page = await SignInAsync();

        await page.GotoAsync(BaseUrl + "/console/keys");
        await page.SelectOptionAsync("#kind", "widget_key");
        await page.SelectOptionAsync("#grace", "3600");
        await page.GetByTestId("rotate").ClickAsync();
        await Assertions.Expect(page.GetByTestId("new-key")).ToContainTextAsync("bwk_");
        await ScreenshotAsync(page, "console-keys");

        await page.GotoAsync(BaseUrl + "/console/operators");
        await page.FillAsync("#op-email", "ada@acme.test");
        await page.FillAsync("#op-name", "Ada Lovelace");
        await page.FillAsync("#op-keys", "store_42, store_77");
        await page.GetByTestId("provision").ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-email='ada@acme.test']")).ToContainTextAsync("store_42, store_77");
        await ScreenshotAsync(page, "console-operators");

        var openSession = $$"""
            async () => (await fetch('/api/v1/widget/sessions', { method: 'POST', body: '{}',
                headers: { 'Content-Type': 'application/json', 'X-Bloonio-Widget-Key': '{{Demo.WidgetKey}}' } })).status
            """;
        Assert.That(await page.EvaluateAsync<int>(openSession), Is.EqualTo(201), "this origin is allowed so far");

        await page.GotoAsync(BaseUrl + "/console/settings");
        await page.FillAsync("#origins", "https://shop.acme.test");
        await page.FillAsync("#title", "Acme help");
        await page.GetByTestId("save-settings").ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync("Saved");
        await ScreenshotAsync(page, "console-settings");

        // The relay's own origin is no longer allowed: the same request from this page is refused now.
        Assert.That(await page.EvaluateAsync<int>(openSession), Is.EqualTo(403));

        await page.GotoAsync(BaseUrl + "/console/members");
        await ScreenshotAsync(page, "console-members");
        await page.GotoAsync(BaseUrl + "/console/webhooks");
        await ScreenshotAsync(page, "console-webhooks");
        await page.GotoAsync(BaseUrl + "/console/audit");
        await Assertions.Expect(page.GetByTestId("audit")).ToContainTextAsync("key.rotated");
        await ScreenshotAsync(page, "console-audit");
    }
}
