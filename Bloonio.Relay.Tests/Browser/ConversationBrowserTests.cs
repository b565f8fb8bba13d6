using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>
/// A visitor on /demo (the widget from one script tag) and an operator in /operator, in two browser contexts:
/// bot answer, escalation, accept, messages both ways, a reload with the history intact, close.
/// </summary>
[NonParallelizable]
public sealed class ConversationBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AVisitorAndAnOperatorHoldAConversationEndToEnd()
    {
        var visitor = await NewPageAsync();
        await visitor.GotoAsync(BaseUrl + "/demo");
        await Assertions.Expect(visitor.GetByTestId("launcher")).ToBeVisibleAsync();
        await ScreenshotAsync(visitor, "widget-closed");

        await visitor.GetByTestId("launcher").ClickAsync();
        await visitor.GetByTestId("input").FillAsync("What are your opening hours?");
        await visitor.GetByTestId("send").ClickAsync();
        await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=bot]").Last).ToContainTextAsync("9:00");
        await visitor.GetByTestId("human").ClickAsync();
        await Assertions.Expect(visitor.GetByTestId("queue-status")).ToBeVisibleAsync();
        await ScreenshotAsync(visitor, "widget-waiting");

        var token = await OperatorTokenAsync($"inbox-{Guid.NewGuid():N}@acme.test", "Maya Lopez");
        var inbox = await NewPageAsync();
        await inbox.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(token)}");
        await Assertions.Expect(inbox.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
        var item = inbox.GetByTestId("queue-item").First;
        await Assertions.Expect(item).ToBeVisibleAsync();
        await ScreenshotAsync(inbox, "inbox-queue");
        await item.GetByTestId("accept").ClickAsync();
        await Assertions.Expect(inbox.Locator("[data-testid=conversation] [data-testid=message][data-sender=visitor]").First)
            .ToContainTextAsync("opening hours");

        await inbox.GetByTestId("composer").FillAsync("Hi, I'm Maya. How can I help?");
        await inbox.GetByTestId("send").ClickAsync();
        await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=operator]").Last).ToContainTextAsync("I'm Maya");
        await Assertions.Expect(visitor.GetByTestId("operator-name")).ToContainTextAsync("Maya Lopez");

        await visitor.GetByTestId("input").FillAsync("My parcel is late");
        await visitor.GetByTestId("send").ClickAsync();
        await Assertions.Expect(inbox.Locator("[data-testid=conversation] [data-testid=message][data-sender=visitor]").Last)
            .ToContainTextAsync("parcel is late");
        await ScreenshotAsync(inbox, "inbox-conversation");
        await ScreenshotAsync(visitor, "widget-conversation");

        var before = await visitor.Locator("[data-testid=message][data-seq]").EvaluateAllAsync<int[]>("els => els.map(e => +e.dataset.seq)");
        await visitor.ReloadAsync();
        await visitor.GetByTestId("launcher").ClickAsync();
        await Assertions.Expect(visitor.Locator("[data-testid=message][data-seq]")).ToHaveCountAsync(before.Length);
        var after = await visitor.Locator("[data-testid=message][data-seq]").EvaluateAllAsync<int[]>("els => els.map(e => +e.dataset.seq)");
        Assert.That(after, Is.EqualTo(before).And.Ordered.And.Unique, "the reload shows every message once, in order");

        await inbox.GetByTestId("close").ClickAsync();
        await inbox.GetByTestId("close-resolution").FillAsync("resolved");
        await inbox.GetByTestId("close-confirm").ClickAsync();
        await Assertions.Expect(visitor.GetByTestId("new-conversation")).ToBeVisibleAsync();
        await ScreenshotAsync(visitor, "widget-closed-conversation");
    }

    [Test]
    public async Task TheWidgetFitsAPhone()
    {
        var phone = await NewPageAsync(390, 844);
        await phone.GotoAsync(BaseUrl + "/demo");
        await phone.GetByTestId("launcher").ClickAsync();
        var panel = await phone.GetByTestId("panel").BoundingBoxAsync();
        Assert.That(panel!.Width, Is.EqualTo(390).Within(1), "full width on a phone");
        await ScreenshotAsync(phone, "widget-phone");
    }
}
