using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>A visitor rates an ended conversation in the widget (stars and a comment) and the operator sees it.</summary>
[NonParallelizable]
public sealed class RatingBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AVisitorRatesTheConversationOnceItHasEnded()
    {
        var key = $"rt{Guid.NewGuid():N}"[..10];
        var visitor = await NewPageAsync();
        await visitor.GotoAsync(BaseUrl + "/demo");
        await visitor.GetByTestId("launcher").ClickAsync();
        await visitor.GetByTestId("input").FillAsync($"Please help, ref {key}");
        await visitor.GetByTestId("send").ClickAsync();
        await visitor.GetByTestId("human").ClickAsync();
        await Assertions.Expect(visitor.GetByTestId("queue-status")).ToBeVisibleAsync();

        var inbox = await NewPageAsync();
        await inbox.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"rate-{key}@acme.test", "Lea Marchand"))}");
        var card = inbox.GetByTestId("queue-item").Filter(new LocatorFilterOptions { HasText = key });
        await card.GetByTestId("accept").ClickAsync();
        await inbox.GetByTestId("close").ClickAsync();
        await inbox.GetByTestId("close-confirm").ClickAsync();

        await Assertions.Expect(visitor.GetByTestId("rating")).ToBeVisibleAsync();
        await visitor.GetByTestId("star-4").ClickAsync();
        await visitor.GetByTestId("rating-comment").FillAsync("Quick, thanks Lea");
        await visitor.GetByTestId("rating-send").ClickAsync();
        await Assertions.Expect(visitor.GetByTestId("rating-thanks")).ToBeVisibleAsync();
        await Assertions.Expect(visitor.GetByTestId("rating-thanks")).ToHaveTextAsync("Thank you for your feedback!");
        await Assertions.Expect(visitor.GetByTestId("rating-send")).ToBeHiddenAsync();
        await ScreenshotAsync(visitor, "widget-rating");

        await inbox.GetByTestId("search-status").SelectOptionAsync("closed");
        await inbox.GetByTestId("search").FillAsync(key);
        await inbox.GetByTestId("search").PressAsync("Enter");
        await inbox.GetByTestId("search-result").First.ClickAsync();
        await Assertions.Expect(inbox.Locator(".review-sub")).ToContainTextAsync("rated 4/5: “Quick, thanks Lea”");
    }
}
