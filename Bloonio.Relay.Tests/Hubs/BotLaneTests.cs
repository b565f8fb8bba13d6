using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Bot mode with the development brain: FAQ answers, escalation by keyword or by asking, tickets, no bot after escalation.</summary>
public sealed class BotLaneTests : HubTestBase
{
    [SetUp]
    public async Task AddFaq() =>
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            """{"faq": [{"question": "What are your opening hours?", "answer": "We are open 9 to 18, Monday to Friday."}]}""")).ShouldBe(200);

    [Test]
    public async Task TheBotAnswersFromTheFaq()
    {
        var session = await OpenSessionAsync("bot");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        await InvokeAsync(visitor, "Send", new { client_message_id = "q1", text = "what are your opening hours" });

        var answer = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot");
        Assert.That(answer.GetProperty("text").GetString(), Is.EqualTo("We are open 9 to 18, Monday to Friday."));
        Assert.That(answer.GetProperty("seq").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task AskingForAHumanEscalatesWithADevTicketAndTheBotStopsAnswering()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var session = await OpenSessionAsync("bot");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");

        await InvokeAsync(visitor, "Send", new { client_message_id = "h1", text = "I want to talk to a human please" });
        Assert.That((await offers.NextAsync()).GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting");

        var detail = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{session.SessionId}")).ShouldBe(200).Data;
        Assert.That(detail.GetProperty("ticket_id").GetString(), Does.StartWith("dev-"));
        Assert.That(await HubErrorAsync(visitor, "RequestHuman", new { reason = "again" }), Does.StartWith("already_escalated:"));

        await InvokeAsync(visitor, "Send", new { client_message_id = "h2", text = "what are your opening hours" });
        var history = (await InvokeAsync(visitor, "History", new { after_seq = 0 })).EnumerateArray().ToList();
        Assert.That(history.Select(m => m.GetProperty("sender").GetProperty("type").GetString()),
            Is.EqualTo(new[] { "visitor", "bot", "system", "visitor" }), "no bot answer once with humans");
    }

    [Test]
    public async Task RequestHumanQueuesTheSessionInItsRoutingKey()
    {
        var keyed = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["store_9"]));
        var offers = HubEvents<JsonElement>.On(keyed, "assignment_waiting");
        var session = await OpenSessionAsync("bot", "store_9");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "RequestHuman", new { reason = "billing question" });

        var offer = await offers.NextAsync();
        Assert.That(offer.GetProperty("routing_key").GetString(), Is.EqualTo("store_9"));
        await InvokeAsync(keyed, "Accept", new { assignment_id = offer.GetProperty("assignment_id").GetGuid() });
    }

    [Test]
    public async Task AMissOffersTheFaqAsQuickRepliesAndATapIsAnsweredWithItsSource()
    {
        var session = await OpenSessionAsync("bot");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        await InvokeAsync(visitor, "Send", new { client_message_id = "m1", text = "blorp zing" });
        var miss = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot");
        var offered = miss.GetProperty("quick_replies").EnumerateArray().Single();
        Assert.That(offered.GetProperty("label").GetString(), Is.EqualTo("What are your opening hours?"));

        await InvokeAsync(visitor, "Send", new
        {
            client_message_id = "tap", text = offered.GetProperty("label").GetString(),
            quick_reply = new { message_id = miss.GetProperty("message_id").GetGuid(), value = offered.GetProperty("value").GetString() },
        });
        var answer = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot"
                                                      && m.GetProperty("seq").GetInt32() > miss.GetProperty("seq").GetInt32());
        Assert.Multiple(() =>
        {
            Assert.That(answer.GetProperty("text").GetString(), Does.StartWith("We are open 9 to 18"));
            Assert.That(answer.GetProperty("sources").EnumerateArray().Single().GetProperty("title").GetString(), Is.EqualTo("What are your opening hours?"));
            Assert.That(answer.TryGetProperty("quick_replies", out var more) ? more.ValueKind : JsonValueKind.Null, Is.EqualTo(JsonValueKind.Null),
                "no other question to offer: the FAQ has one");
        });

        var history = (await InvokeAsync(visitor, "History", new { after_seq = 0 })).EnumerateArray().ToList();
        var tapped = history.Single(m => m.GetProperty("client_message_id").GetString() == "tap");
        Assert.That(tapped.GetProperty("in_reply_to").GetProperty("message_id").GetGuid(), Is.EqualTo(miss.GetProperty("message_id").GetGuid()),
            "the tap is stored with what it answers");
        var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events");
        Assert.That(feed.EnumerateArray().Any(e => e.GetProperty("type").GetString() == "message.created"
                                                   && e.GetProperty("data").TryGetProperty("sources", out var s) && s.ValueKind == JsonValueKind.Array), Is.True,
            "message.created carries the sources");
    }

    [Test]
    public async Task TheBackendCanOfferQuickReplies()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        var path = $"/api/v1/relay/sessions/{session.SessionId}/messages";
        (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new
        {
            text = "Your order #123 shipped. Anything else?", sender = new { type = "system" },
            quick_replies = new[] { new { label = "Track it", value = (string?)"track:123" }, new { label = "No, thanks", value = (string?)null } },
        })).ShouldBe(201);
        var offer = await messages.WaitForAsync(m => m.GetProperty("text").GetString()!.StartsWith("Your order", StringComparison.Ordinal));
        Assert.That(offer.GetProperty("quick_replies").EnumerateArray().Select(q => q.GetProperty("label").GetString()), Is.EqualTo(new[] { "Track it", "No, thanks" }));

        var tooMany = Enumerable.Range(0, 9).Select(i => new { label = $"Option {i}" }).ToArray();
        (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "Pick", sender = new { type = "system" }, quick_replies = tooMany }))
            .ShouldBe(422, "validation_failed");
    }
}
