using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Release, transfer (to a queue or an operator) and hand back: the assignment always has one owner or a queue.</summary>
public sealed class AssignmentMoveTests : HubTestBase
{
    private async Task<(HubConnection Visitor, VisitorSession Session, Guid AssignmentId)> AcceptedAsync(HubConnection op, string? routingKey = null)
    {
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var session = await OpenSessionAsync("human", routingKey);
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "first", text = "Hi" });
        var assignmentId = (await offers.WaitForAsync(o => o.GetProperty("session_id").GetGuid() == session.SessionId)).GetProperty("assignment_id").GetGuid();
        await InvokeAsync(op, "Accept", new { assignment_id = assignmentId });
        return (visitor, session, assignmentId);
    }

    [Test]
    public async Task AReleasedAssignmentIsOfferedAgainAndAnotherOperatorTakesIt()
    {
        var first = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var second = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var (visitor, _, assignmentId) = await AcceptedAsync(first);
        var reoffers = HubEvents<JsonElement>.On(second, "assignment_waiting");
        var states = HubEvents<JsonElement>.On(visitor, "session_state");

        var released = await InvokeAsync(first, "Release", new { assignment_id = assignmentId });
        Assert.That(released.GetProperty("status").GetString(), Is.EqualTo("waiting"));
        Assert.That((await reoffers.NextAsync()).GetProperty("assignment_id").GetGuid(), Is.EqualTo(assignmentId));
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting");
        await InvokeAsync(second, "Accept", new { assignment_id = assignmentId });
        Assert.That(await HubErrorAsync(first, "Release", new { assignment_id = assignmentId }), Does.StartWith("not_found:"));
    }

    [Test]
    public async Task ATransferToAnotherQueueOffersItThere()
    {
        var wide = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var billing = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["billing"]));
        var (_, session, assignmentId) = await AcceptedAsync(wide, "support");
        var offers = HubEvents<JsonElement>.On(billing, "assignment_waiting");

        await InvokeAsync(wide, "Transfer", new { assignment_id = assignmentId, routing_key = "billing" });
        var offer = await offers.NextAsync();
        Assert.That((offer.GetProperty("assignment_id").GetGuid(), offer.GetProperty("routing_key").GetString()), Is.EqualTo((assignmentId, "billing")));
        var detail = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{session.SessionId}")).ShouldBe(200).Data;
        Assert.That(detail.GetProperty("routing_key").GetString(), Is.EqualTo("billing"));
    }

    [Test]
    public async Task ATransferToAnOperatorMovesTheConversationInOneStep()
    {
        var from = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var toEmail = $"to-{Guid.NewGuid():N}@example.com";
        var to = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, email: toEmail));
        var toId = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200).Data.EnumerateArray()
            .Single(o => o.GetProperty("email").GetString() == toEmail).GetProperty("operator_id").GetGuid();
        var (visitor, session, assignmentId) = await AcceptedAsync(from);
        var assigned = HubEvents<JsonElement>.On(to, "assignment_assigned");
        var toMessages = HubEvents<JsonElement>.On(to, "message");

        await InvokeAsync(from, "Transfer", new { assignment_id = assignmentId, operator_id = toId });
        Assert.That((await assigned.NextAsync()).GetProperty("operator_id").GetGuid(), Is.EqualTo(toId));
        await InvokeAsync(visitor, "Send", new { client_message_id = "after", text = "Still there?" });
        Assert.That((await toMessages.WaitForAsync(m => m.GetProperty("text").GetString() == "Still there?")).GetProperty("seq").GetInt32(), Is.EqualTo(2));
        Assert.That(await HubErrorAsync(from, "Send", new { session_id = session.SessionId, client_message_id = "x", text = "me?" }),
            Does.StartWith("not_assigned:"));
    }

    [Test]
    public async Task HandingBackReturnsTheSessionToTheBot()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var (visitor, _, assignmentId) = await AcceptedAsync(op);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        var messages = HubEvents<JsonElement>.On(visitor, "message");

        await InvokeAsync(op, "HandBack", new { assignment_id = assignmentId });
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "open");
        await InvokeAsync(visitor, "Send", new { client_message_id = "again", text = "something nobody knows" });
        var bot = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "bot");
        Assert.That(bot.GetProperty("text").GetString(), Is.Not.Empty);
    }
}
