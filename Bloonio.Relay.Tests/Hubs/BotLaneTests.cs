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
}
