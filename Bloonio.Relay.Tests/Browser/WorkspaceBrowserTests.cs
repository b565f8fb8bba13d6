using System.Collections.Concurrent;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>
/// The operators' workspace in Chromium, the way an operator uses it: a canned reply with the visitor's name, a note the
/// visitor never sees, tags, a transfer by picking a teammate, a colleague seen looking at it, and a closed conversation
/// found again by a word it held.
/// </summary>
[NonParallelizable]
public sealed class WorkspaceBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AnOperatorRepliesWithACannedResponseNotesTagsTransfersAndFindsTheConversationAgain()
    {
        var key = $"ws{Guid.NewGuid():N}"[..12];
        var word = $"zebraquartz{Guid.NewGuid():N}"[..18];
        (await Api.SignedAsync(Demo, HttpMethod.Post, "/api/v1/relay/canned-responses",
            new { title = "Thanks", shortcut = $"thanks-{key}", text = "Thanks {{visitor.name}}, it is on its way!" })).ShouldBe(201);

        // The visitor: a widget session named Ada, on the official client, recording everything it is sent.
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode = "human", routing_key = key, visitor = new { display_name = "Ada" } }),
                System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", Demo.WidgetKey);
        request.Headers.Add("Origin", BaseUrl);
        var session = (await Api.SendAsync(request)).ShouldBe(201).Data;
        var sessionId = Guid.Parse(session.GetProperty("session_id").GetString()!);
        await using var visitor = HubConnections.ForUrl(new Uri(BaseUrl), "/hubs/visitor", session.GetProperty("visitor_token").GetString()!,
            HttpTransportType.WebSockets);
        var seen = new ConcurrentQueue<string>();
        visitor.On<JsonElement>("message", m => seen.Enqueue(m.GetProperty("text").GetString()!));
        visitor.On<JsonElement>("note", n => seen.Enqueue("NOTE " + n));
        await visitor.StartAsync();
        await visitor.InvokeAsync<JsonElement>("Send", new { client_message_id = "v1", text = $"Where is my {word} parcel?" });

        var maya = await NewPageAsync();
        await maya.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"maya-{key}@acme.test", "Maya Lopez", [key]))}");
        var ravi = await NewPageAsync();
        await ravi.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"ravi-{key}@acme.test", "Ravi Shah", [key]))}");
        await Assertions.Expect(ravi.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
        var card = maya.GetByTestId("queue-item").First;
        await Assertions.Expect(card).ToContainTextAsync("Ada");
        await Assertions.Expect(card.GetByTestId("queue-preview")).ToContainTextAsync(word);
        await card.GetByTestId("accept").ClickAsync();
        await Assertions.Expect(maya.Locator("[data-testid=conversation] [data-testid=message][data-sender=visitor]").First).ToContainTextAsync(word);

        // A canned reply: "/" and its shortcut, Enter picks it, with the visitor's name filled in.
        await maya.GetByTestId("composer").PressSequentiallyAsync($"/thanks-{key[..4]}");
        await Assertions.Expect(maya.GetByTestId("canned-picker")).ToBeVisibleAsync();
        await ScreenshotAsync(maya, "inbox-canned");
        await maya.GetByTestId("composer").PressAsync("Enter");
        await Assertions.Expect(maya.GetByTestId("composer")).ToHaveValueAsync("Thanks Ada, it is on its way!");
        await maya.GetByTestId("composer").PressAsync("Enter");
        await Assertions.Expect(maya.Locator("[data-testid=conversation] [data-testid=message][data-sender=operator]").Last).ToContainTextAsync("Thanks Ada");

        // A note: operators only.
        await maya.GetByTestId("note-toggle").ClickAsync();
        await maya.GetByTestId("composer").FillAsync("VIP: refund without asking for the receipt");
        await maya.GetByTestId("composer").PressAsync("Enter");
        await Assertions.Expect(maya.Locator("[data-testid=conversation] [data-testid=note]")).ToContainTextAsync("VIP: refund");
        await maya.GetByTestId("note-toggle").ClickAsync();
        await ScreenshotAsync(maya, "inbox-note");

        // Tags.
        await maya.GetByTestId("tags").FillAsync("refund, vip");
        await maya.GetByTestId("tags").PressAsync("Enter");
        await Assertions.Expect(maya.GetByTestId("tags")).ToHaveValueAsync("refund, vip");
        await maya.GetByTestId("search").FillAsync("#vip");
        await maya.GetByTestId("search").PressAsync("Enter");
        await Assertions.Expect(maya.GetByTestId("search-result").Filter(new LocatorFilterOptions { HasText = "Ada" })).ToContainTextAsync("#refund");

        // A transfer by picking a teammate, who then closes it.
        await maya.GetByTestId("transfer").ClickAsync();
        var teammate = maya.GetByTestId("teammate").Filter(new LocatorFilterOptions { HasText = "Ravi Shah" });
        await Assertions.Expect(teammate).ToContainTextAsync("online");
        await teammate.ClickAsync();
        await ravi.GetByTestId("mine").Locator("button").First.ClickAsync();
        await Assertions.Expect(ravi.Locator("[data-testid=conversation] [data-testid=message][data-sender=visitor]").First).ToContainTextAsync(word);
        await Assertions.Expect(ravi.Locator("[data-testid=conversation] [data-testid=note]")).ToContainTextAsync("VIP: refund");

        // Maya looks the conversation up while Ravi has it: Ravi sees her looking, and no longer once she is done.
        await maya.GetByTestId("search-status").SelectOptionAsync("assigned");
        await maya.GetByTestId("search").FillAsync(word);
        await maya.GetByTestId("search").PressAsync("Enter");
        await maya.GetByTestId("search-result").Filter(new LocatorFilterOptions { HasText = "Ada" }).ClickAsync();
        await Assertions.Expect(ravi.GetByTestId("viewers")).ToHaveTextAsync("Maya Lopez is viewing");
        await ScreenshotAsync(ravi, "inbox-colleague-viewing");
        await maya.GetByTestId("review-close").ClickAsync();
        await Assertions.Expect(ravi.GetByTestId("viewers")).ToHaveTextAsync("");

        await ravi.GetByTestId("close").ClickAsync();
        await ravi.GetByTestId("close-confirm").ClickAsync();
        // The close is a hub call: the search below must not run before it has been stored.
        await Assertions.Expect(ravi.GetByTestId("toast").Filter(new LocatorFilterOptions { HasText = "closed" })).ToBeVisibleAsync();

        // Found again by a word it contained, the hit marked; the review shows the journal and the note.
        await maya.GetByTestId("search-status").SelectOptionAsync("closed");
        await maya.GetByTestId("search").FillAsync(word);
        await maya.GetByTestId("search").PressAsync("Enter");
        var result = maya.GetByTestId("search-result").Filter(new LocatorFilterOptions { HasText = "Ada" });
        await Assertions.Expect(result.Locator("mark")).ToHaveTextAsync(word);
        await Assertions.Expect(result).ToContainTextAsync("#vip");
        await ScreenshotAsync(maya, "inbox-search");
        await result.ClickAsync();
        await Assertions.Expect(maya.GetByTestId("review-log")).ToContainTextAsync("Thanks Ada");
        await Assertions.Expect(maya.GetByTestId("review-log").GetByTestId("note")).ToContainTextAsync("VIP: refund");
        await Assertions.Expect(maya.GetByTestId("assignment-history")).ToContainTextAsync("closed");
        await ScreenshotAsync(maya, "inbox-review");

        Assert.That(seen, Has.Some.Contains("Thanks Ada"), "the canned reply reached the visitor");
        Assert.That(seen, Has.None.Contains("VIP"), "the note never did");
        var conversation = (await Api.SignedAsync(Demo, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}/conversation")).ShouldBe(200).Data;
        Assert.That(conversation.GetProperty("summary").GetProperty("tags").EnumerateArray().Select(t => t.GetString()), Is.EqualTo(new[] { "refund", "vip" }));
    }
}
