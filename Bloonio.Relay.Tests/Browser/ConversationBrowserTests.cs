using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        // The panel was open: it reopens by itself after the reload.
        await Assertions.Expect(visitor.GetByTestId("panel")).ToHaveAttributeAsync("aria-hidden", "false");
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

    /// <summary>
    /// The widget on a shop's own site (another origin): a WebSocket without negotiating by default (no sticky load
    /// balancer needed), negotiate and a fallback transport when a proxy breaks WebSockets, or what data-transports says.
    /// </summary>
    [TestCase("websockets")]
    [TestCase("websockets blocked")]
    [TestCase("long-polling attribute")]
    public async Task TheWidgetOnAnotherSiteHoldsAConversation(string network)
    {
        var html = "";
        var site = LoopbackApp.Create();
        site.MapGet("/", () => Results.Content(html, "text/html; charset=utf-8"));
        var siteUrl = await LoopbackApp.StartAsync(site);
        try
        {
            var origin = siteUrl.GetLeftPart(UriPartial.Authority);
            Assert.That(origin, Is.Not.EqualTo(BaseUrl.TrimEnd('/')), "the shop is another origin than the relay");
            var shop = await Api.CreateTenantAsync("Shop on another site");
            (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{shop.TenantId}", new
            {
                allowed_origins = new[] { origin },
                faq = new[] { new { question = "What are your opening hours?", answer = "We are open 9:00–18:00, Monday to Friday." } },
            })).ShouldBe(200);
            html = $"""
                <!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
                <body><h1>A shop on another origin</h1>
                <script src="{BaseUrl.TrimEnd('/')}/widget.js" data-widget-key="{shop.WidgetKey}" {(network == "long-polling attribute" ? "data-transports=\"long-polling\"" : "")} defer></script>
                </body></html>
                """;

            var visitor = await NewPageAsync();
            if (network == "websockets blocked")
            {
                // A proxy that accepts the upgrade and then drops it, whatever the page tries.
                await visitor.RouteWebSocketAsync(new System.Text.RegularExpressions.Regex("/hubs/visitor"), ws => ws.CloseAsync());
            }

            var webSockets = 0;
            var hubRequests = new List<string>();
            visitor.WebSocket += (_, _) => webSockets++;
            visitor.Request += (_, r) =>
            {
                if (r.Url.Contains("/hubs/visitor", StringComparison.Ordinal))
                {
                    hubRequests.Add($"{r.Method} {new Uri(r.Url).AbsolutePath}");
                }
            };
            await visitor.GotoAsync(siteUrl.ToString());
            await visitor.GetByTestId("launcher").ClickAsync();
            await visitor.GetByTestId("input").FillAsync("What are your opening hours?");
            await visitor.GetByTestId("send").ClickAsync();
            await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=bot]").Last).ToContainTextAsync("9:00");
            await visitor.GetByTestId("human").ClickAsync();
            await Assertions.Expect(visitor.GetByTestId("queue-status")).ToBeVisibleAsync();

            var email = $"shop-{Guid.NewGuid():N}@acme.test";
            (await Api.SignedAsync(shop, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Noor" })).ShouldBe(201);
            var token = (await Api.SignedAsync(shop, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
                .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
            var inbox = await NewPageAsync();
            await inbox.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(token)}");
            await inbox.GetByTestId("queue-item").First.GetByTestId("accept").ClickAsync();
            await inbox.GetByTestId("composer").FillAsync("Hello from the shop's team");
            await inbox.GetByTestId("send").ClickAsync();
            await Assertions.Expect(visitor.Locator("[data-testid=message][data-sender=operator]").Last).ToContainTextAsync("shop's team");
            await visitor.GetByTestId("input").FillAsync($"Thanks, over {network}");
            await visitor.GetByTestId("send").ClickAsync();
            await Assertions.Expect(inbox.Locator("[data-testid=conversation] [data-testid=message][data-sender=visitor]").Last)
                .ToContainTextAsync($"over {network}");

            var negotiated = hubRequests.Contains("POST /hubs/visitor/negotiate");
            var fellBack = hubRequests.Contains("GET /hubs/visitor"); // server-sent events or long polling
            switch (network)
            {
                case "websockets":
                    Assert.That((negotiated, fellBack, webSockets), Is.EqualTo((false, false, 1)), "one WebSocket, no negotiate: no sticky sessions needed");
                    break;
                case "websockets blocked":
                    Assert.That((negotiated, fellBack), Is.EqualTo((true, true)), "negotiated, then a fallback transport across origins");
                    break;
                default:
                    Assert.That((negotiated, fellBack, webSockets), Is.EqualTo((true, true, 0)), "long polling only, across origins");
                    break;
            }
        }
        finally
        {
            await LoopbackApp.StopAsync(site);
        }
    }
}
