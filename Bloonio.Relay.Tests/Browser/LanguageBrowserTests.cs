using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>
/// The widget speaks the visitor's language when it can (English, French, German, Spanish, Arabic right to left), else
/// the tenant's, with the tenant's greeting in that language.
/// </summary>
[NonParallelizable]
public sealed class LanguageBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AnArabicBrowserGetsTheWidgetRightToLeftWithTheTenantsArabicGreeting()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Demo.TenantId}",
            new { branding = new { greetings = new Dictionary<string, string?> { ["ar"] = "مرحبًا! كيف يمكننا مساعدتك؟", ["fr"] = "Bonjour ! Comment pouvons-nous aider ?" } } }))
            .ShouldBe(200);

        var arabic = await NewPageAsync(locale: "ar-SA");
        await arabic.GotoAsync(BaseUrl + "/demo");
        await arabic.GetByTestId("launcher").ClickAsync();
        await Assertions.Expect(arabic.GetByTestId("panel")).ToHaveAttributeAsync("dir", "rtl");
        await Assertions.Expect(arabic.GetByTestId("panel")).ToHaveAttributeAsync("lang", "ar");
        await Assertions.Expect(arabic.GetByTestId("input")).ToHaveAttributeAsync("placeholder", "اكتب رسالة…");
        await Assertions.Expect(arabic.GetByTestId("greeting")).ToContainTextAsync("مرحبًا");
        await arabic.GetByTestId("input").FillAsync("متى تفتحون؟");
        await arabic.GetByTestId("send").ClickAsync();
        await Assertions.Expect(arabic.Locator("[data-testid=message][data-sender=visitor]").Last).ToContainTextAsync("متى");
        await ScreenshotAsync(arabic, "widget-arabic");

        var french = await NewPageAsync(locale: "fr-FR");
        await french.GotoAsync(BaseUrl + "/demo");
        await french.GetByTestId("launcher").ClickAsync();
        await Assertions.Expect(french.GetByTestId("panel")).ToHaveAttributeAsync("dir", "ltr");
        await Assertions.Expect(french.GetByTestId("input")).ToHaveAttributeAsync("placeholder", "Écrivez un message…");
        await Assertions.Expect(french.GetByTestId("greeting")).ToContainTextAsync("Bonjour");

        // A language the widget does not speak: the tenant's default (English here), with the main greeting.
        var japanese = await NewPageAsync(locale: "ja-JP");
        await japanese.GotoAsync(BaseUrl + "/demo");
        await japanese.GetByTestId("launcher").ClickAsync();
        await Assertions.Expect(japanese.GetByTestId("input")).ToHaveAttributeAsync("placeholder", "Write a message…");
    }
}
