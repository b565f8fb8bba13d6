using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>
/// The widget after a reload and a hand-over: the panel comes back as it was (closed stays closed), the page title counts
/// replies while the panel is closed (and is put back), and the visitor is told when someone else takes over.
/// </summary>
[NonParallelizable]
public sealed class WidgetPolishBrowserTests : BrowserTestBase
{
    [Test]
    public async Task TheWidgetKeepsItsStateCountsUnreadInTheTitleAndSaysWhoTookOver()
    {
        var key = $"wp{Guid.NewGuid():N}"[..10];
        var visitor = await NewPageAsync();
        await visitor.GotoAsync(BaseUrl + "/demo");
        var title = await visitor.TitleAsync();
        await visitor.GetByTestId("launcher").ClickAsync();
        await visitor.GetByTestId("input").FillAsync($"Hello, ref {key}");
        await visitor.GetByTestId("send").ClickAsync();
        await visitor.GetByTestId("human").ClickAsync();

        var ana = await NewPageAsync();
        await ana.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"ana-{key}@acme.test", "Ana Ruiz"))}");
        await ana.GetByTestId("queue-item").Filter(new LocatorFilterOptions { HasText = key }).GetByTestId("accept").ClickAsync();
        await ana.GetByTestId("composer").FillAsync("Hi, Ana here.");
        await ana.GetByTestId("send").ClickAsync();
        await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=operator]").Last).ToContainTextAsync("Ana here");

        // Closed panel: replies are counted in the page's title; reopening puts the title back.
        await visitor.GetByTestId("launcher").ClickAsync();
        await ana.GetByTestId("composer").FillAsync("Are you still there?");
        await ana.GetByTestId("send").ClickAsync();
        // The count of replies not seen yet (Ana's first one may not have been marked seen before the panel closed).
        await Assertions.Expect(visitor).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(
            $@"^\([12]\) {System.Text.RegularExpressions.Regex.Escape(title)}$"));
        await visitor.ReloadAsync();
        await Assertions.Expect(visitor.GetByTestId("panel")).ToHaveAttributeAsync("aria-hidden", "true"); // closed stays closed
        await visitor.GetByTestId("launcher").ClickAsync();
        await Assertions.Expect(visitor).ToHaveTitleAsync(title);

        // Ana puts the visitor back in the queue; Ben takes over: the visitor is told.
        await ana.GetByTestId("release").ClickAsync();
        var ben = await NewPageAsync();
        await ben.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"ben-{key}@acme.test", "Ben Okafor"))}");
        await ben.GetByTestId("queue-item").Filter(new LocatorFilterOptions { HasText = key }).GetByTestId("accept").ClickAsync();
        await Assertions.Expect(visitor.GetByTestId("handover")).ToHaveTextAsync("You are now chatting with Ben Okafor.");
        await ScreenshotAsync(visitor, "widget-handover");
    }
}
