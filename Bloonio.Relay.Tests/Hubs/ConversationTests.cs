using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>The human lane end to end over real hub connections: queue offers by routing key, accept race, messages, close.</summary>
public sealed class ConversationTests : HubTestBase
{
    [Test]
    public async Task AHumanModeSessionIsOfferedOnlyToItsQueueAndTenantWideOperators()
    {
        var keyed = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["store_42"]));
        var wide = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var otherKey = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["store_77"]));
        var otherTenant = await Api.CreateTenantAsync();
        var foreign = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, otherTenant));
        var offers = new[] { keyed, wide, otherKey, foreign }.Select(c => HubEvents<JsonElement>.On(c, "assignment_waiting")).ToArray();

        var session = await OpenSessionAsync("human", "store_42");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        var ack = await InvokeAsync(visitor, "Send", new { client_message_id = "c1", text = "Hello, is anyone there?" });
        Assert.That(ack.GetProperty("seq").GetInt32(), Is.EqualTo(1));

        var offered = await offers[0].NextAsync();
        Assert.That(offered.GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
        Assert.That((await offers[1].NextAsync()).GetProperty("assignment_id").GetGuid(), Is.EqualTo(offered.GetProperty("assignment_id").GetGuid()));
        var state = await states.WaitForAsync(s => s.GetProperty("status").GetString() == "waiting");
        Assert.That(state.GetProperty("queue_position").GetInt32(), Is.EqualTo(1));

        // The queues as each operator lists them: the same truth as the pushes.
        Assert.That((await InvokeAsync(otherKey, "ListQueue")).GetArrayLength(), Is.Zero);
        Assert.That((await InvokeAsync(foreign, "ListQueue")).GetArrayLength(), Is.Zero);
        Assert.That(offers[2].TryTake(out _) || offers[3].TryTake(out _), Is.False, "no offer outside the queue");
    }

    [Test]
    public async Task TenOperatorsAcceptingAtOnceLeaveOneWinner()
    {
        var operators = new List<HubConnection>();
        for (var i = 0; i < 10; i++)
        {
            operators.Add(await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null)));
        }

        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var offer = HubEvents<JsonElement>.On(operators[0], "assignment_waiting");
        await InvokeAsync(visitor, "Send", new { client_message_id = "c1", text = "Help" });
        var assignmentId = (await offer.NextAsync()).GetProperty("assignment_id").GetGuid();

        var attempts = await Task.WhenAll(operators.Select(async o =>
        {
            try
            {
                await InvokeAsync(o, "Accept", new { assignment_id = assignmentId });
                return "accepted";
            }
            catch (HubException ex)
            {
                return RelayError(ex).Split(':')[0];
            }
        }));

        Assert.That(attempts, Has.Exactly(1).EqualTo("accepted").And.Exactly(9).EqualTo("already_assigned"));
    }

    [Test]
    public async Task ARetriedSendIsPushedAgainToWhoeverHearsTheSession()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var toOperator = HubEvents<JsonElement>.On(op, "message");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "v1", text = "Hello" });
        await InvokeAsync(op, "Accept", new { assignment_id = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid() });

        var first = await InvokeAsync(visitor, "Send", new { client_message_id = "v2", text = "Are you there?" });
        Assert.That((await toOperator.WaitForAsync(m => m.GetProperty("client_message_id").GetString() == "v2")).GetProperty("seq").GetInt32(),
            Is.EqualTo(first.GetProperty("seq").GetInt32()));

        // The retry of a send whose first attempt was stored (by a node that may have died before pushing it): the same
        // ack, nothing stored twice, and the operator hears the message again (clients de-duplicate by seq).
        var retry = await InvokeAsync(visitor, "Send", new { client_message_id = "v2", text = "Are you there?" });
        Assert.That(retry.GetProperty("message_id").GetGuid(), Is.EqualTo(first.GetProperty("message_id").GetGuid()));
        var again = await toOperator.WaitForAsync(m => m.GetProperty("client_message_id").GetString() == "v2");
        Assert.That(again.GetProperty("seq").GetInt32(), Is.EqualTo(first.GetProperty("seq").GetInt32()));
        var history = await InvokeAsync(visitor, "History", new { after_seq = 0 });
        Assert.That(history.EnumerateArray().Count(m => m.GetProperty("client_message_id").GetString() == "v2"), Is.EqualTo(1));
    }

    [Test]
    public async Task AcceptedConversationFlowsBothWaysAndCloses()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var removed = HubEvents<JsonElement>.On(op, "assignment_removed");
        var toOperator = HubEvents<JsonElement>.On(op, "message");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var toVisitor = HubEvents<JsonElement>.On(visitor, "message");
        var states = HubEvents<JsonElement>.On(visitor, "session_state");

        await InvokeAsync(visitor, "Send", new { client_message_id = "v1", text = "My order is late" });
        var assignmentId = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid();
        var accepted = await InvokeAsync(op, "Accept", new { assignment_id = assignmentId });
        Assert.That(accepted.GetProperty("history")[0].GetProperty("text").GetString(), Is.EqualTo("My order is late"));
        Assert.That((await removed.NextAsync()).GetProperty("reason").GetString(), Is.EqualTo("accepted"));
        var assigned = await states.WaitForAsync(s => s.GetProperty("status").GetString() == "assigned");
        Assert.That(assigned.GetProperty("operator").GetProperty("display_name").GetString(), Does.StartWith("Op "));

        var reply = await InvokeAsync(op, "Send", new { session_id = session.SessionId, client_message_id = "o1", text = "Let me check." });
        Assert.That(reply.GetProperty("seq").GetInt32(), Is.EqualTo(2));
        var received = await toVisitor.WaitForAsync(m => m.GetProperty("seq").GetInt32() == 2);
        Assert.That(received.GetProperty("sender").GetProperty("type").GetString(), Is.EqualTo("operator"));

        await InvokeAsync(visitor, "Send", new { client_message_id = "v2", text = "Thanks" });
        Assert.That((await toOperator.WaitForAsync(m => m.GetProperty("seq").GetInt32() == 3)).GetProperty("text").GetString(), Is.EqualTo("Thanks"));

        await InvokeAsync(op, "Close", new { assignment_id = assignmentId, resolution = "resolved" });
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "closed");
        Assert.That(await HubErrorAsync(visitor, "Send", new { client_message_id = "v3", text = "Hello?" }), Does.StartWith("session_closed:"));
    }

    [Test]
    public async Task SendingAgainWithTheSameClientMessageIdReturnsTheSameAckAndStoresNothing()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var first = await InvokeAsync(visitor, "Send", new { client_message_id = "same", text = "Once" });
        var again = await InvokeAsync(visitor, "Send", new { client_message_id = "same", text = "Once" });
        Assert.That(again.GetProperty("message_id").GetGuid(), Is.EqualTo(first.GetProperty("message_id").GetGuid()));
        Assert.That(again.GetProperty("seq").GetInt32(), Is.EqualTo(first.GetProperty("seq").GetInt32()));
        Assert.That((await InvokeAsync(visitor, "History", new { after_seq = 0 })).GetArrayLength(), Is.EqualTo(1));
    }

    [Test]
    public async Task RepeatsWrittenTogetherWithNewMessagesGetTheFirstAndTheNewAreStoredOnceInOrder()
    {
        // A batch is first written without looking for repeats (the unique index finds them): a repeat sharing a batch
        // with new messages must still get its first ack, and the new messages their own places, once each.
        const int Sessions = 8;
        var visitors = new List<(HubConnection First, HubConnection Second, JsonElement FirstAck)>();
        for (var i = 0; i < Sessions; i++)
        {
            var session = await OpenSessionAsync("human");
            var first = await ConnectAsync("/hubs/visitor", session.Token);
            var second = await ConnectAsync("/hubs/visitor", session.Token);
            visitors.Add((first, second, await InvokeAsync(first, "Send", new { client_message_id = "a", text = "first" })));
        }

        for (var round = 0; round < 3; round++)
        {
            // All at once, over two connections per session (one connection's invocations run one after the other).
            var sends = visitors.SelectMany(v => new[]
            {
                InvokeAsync(v.First, "Send", new { client_message_id = "a", text = "first" }),
                InvokeAsync(v.Second, "Send", new { client_message_id = $"new{round}", text = $"new {round}" }),
            }).ToList();
            var acks = await Task.WhenAll(sends);
            for (var i = 0; i < Sessions; i++)
            {
                Assert.That(acks[2 * i].GetProperty("message_id").GetGuid(), Is.EqualTo(visitors[i].FirstAck.GetProperty("message_id").GetGuid()));
                Assert.That(acks[2 * i].GetProperty("seq").GetInt32(), Is.EqualTo(1));
                Assert.That(acks[2 * i + 1].GetProperty("seq").GetInt32(), Is.EqualTo(2 + round));
            }
        }

        foreach (var (first, _, _) in visitors)
        {
            var history = (await InvokeAsync(first, "History", new { after_seq = 0 })).EnumerateArray().ToList();
            Assert.That(history.Select(m => m.GetProperty("seq").GetInt32()), Is.EqualTo(new[] { 1, 2, 3, 4 }));
            Assert.That(history.Select(m => m.GetProperty("client_message_id").GetString()), Is.EqualTo(new[] { "a", "new0", "new1", "new2" }));
        }
    }

    [Test]
    public async Task AReconnectingVisitorCatchesUpWithHistoryWithoutGapOrDuplicate()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        for (var i = 1; i <= 5; i++)
        {
            await InvokeAsync(visitor, "Send", new { client_message_id = $"m{i}", text = $"message {i}" });
        }

        await visitor.StopAsync();
        var again = await ConnectAsync("/hubs/visitor", session.Token);
        var history = (await InvokeAsync(again, "History", new { after_seq = 2 })).EnumerateArray().ToList();
        Assert.That(history.Select(m => m.GetProperty("seq").GetInt32()), Is.EqualTo(new[] { 3, 4, 5 }));
        Assert.That(history.Select(m => m.GetProperty("text").GetString()), Is.EqualTo(new[] { "message 3", "message 4", "message 5" }));
    }

    [Test]
    public async Task InvalidMessagesAreHubErrorsAndTheConnectionStaysUsable()
    {
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        Assert.That(await HubErrorAsync(visitor, "Send", new { client_message_id = "e1", text = "   " }), Does.StartWith("validation_failed: text"));
        Assert.That(await HubErrorAsync(visitor, "Send", new { client_message_id = "e2", text = new string('x', 4001) }), Does.StartWith("validation_failed:"));
        Assert.That((await InvokeAsync(visitor, "Send", new { client_message_id = "ok", text = "fine" })).GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }
}
