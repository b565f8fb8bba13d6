using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>The bot's rich answers in the widget: the FAQ offered as buttons after a miss, a tap answered, its source shown.</summary>
[NonParallelizable]
public sealed class QuickReplyBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AVisitorTapsAQuickReplyAndSeesTheAnswersSource()
    {
        var visitor = await NewPageAsync();
        await visitor.GotoAsync(BaseUrl + "/demo");
        await visitor.GetByTestId("launcher").ClickAsync();
        await visitor.GetByTestId("input").FillAsync("blorp zing wibble");
        await visitor.GetByTestId("send").ClickAsync();

        var offer = visitor.GetByTestId("quick-reply").Filter(new LocatorFilterOptions { HasText = "What are your opening hours?" });
        await Assertions.Expect(offer).ToBeVisibleAsync();
        await ScreenshotAsync(visitor, "widget-quick-replies");
        await offer.ClickAsync();

        var answer = visitor.Locator("[data-testid=message][data-sender=bot]").Last;
        await Assertions.Expect(answer).ToContainTextAsync("9:00");
        await Assertions.Expect(answer.GetByTestId("sources")).ToContainTextAsync("What are your opening hours?");
        await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=visitor]").Last).ToContainTextAsync("What are your opening hours?");
        await Assertions.Expect(offer).ToBeHiddenAsync(); // the buttons of an older message go away
        await ScreenshotAsync(visitor, "widget-bot-sources");
    }
}
