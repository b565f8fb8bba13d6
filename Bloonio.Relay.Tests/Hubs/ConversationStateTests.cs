using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Typing and read receipts between the two sides, and closing a session from the visitor or the backend.</summary>
public sealed class ConversationStateTests : HubTestBase
{
    private async Task<(HubConnection Op, HubConnection Visitor, VisitorSession Session)> AssignedAsync()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "1", text = "Hi" });
        await InvokeAsync(op, "Accept", new { assignment_id = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid() });
        return (op, visitor, session);
    }

    [Test]
    public async Task TypingAndReadReachTheOtherSide()
    {
        var (op, visitor, session) = await AssignedAsync();
        var opTyping = HubEvents<JsonElement>.On(op, "typing");
        var visitorTyping = HubEvents<JsonElement>.On(visitor, "typing");
        var visitorRead = HubEvents<JsonElement>.On(visitor, "read");

        await visitor.InvokeAsync("Typing", new { is_typing = true }).WaitAsync(TimeSpan.FromSeconds(10));
        var typing = await opTyping.NextAsync();
        Assert.That((typing.GetProperty("sender").GetProperty("type").GetString(), typing.GetProperty("is_typing").GetBoolean()), Is.EqualTo(("visitor", true)));

        await op.InvokeAsync("Typing", new { session_id = session.SessionId, is_typing = true }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((await visitorTyping.WaitForAsync(t => t.GetProperty("sender").GetProperty("type").GetString() == "operator"))
            .GetProperty("is_typing").GetBoolean(), Is.True);

        await op.InvokeAsync("MarkRead", new { session_id = session.SessionId, seq = 1 }).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((await visitorRead.WaitForAsync(r => r.GetProperty("reader").GetProperty("type").GetString() == "operator"))
            .GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task AnOperatorCannotSignalInASessionNotAssignedToIt()
    {
        var (_, _, session) = await AssignedAsync();
        var stranger = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var ex = Assert.ThrowsAsync<Microsoft.AspNetCore.SignalR.HubException>(async () =>
            await stranger.InvokeAsync("Typing", new { session_id = session.SessionId, is_typing = true }).WaitAsync(TimeSpan.FromSeconds(10)))!;
        Assert.That(RelayError(ex), Does.StartWith("session_not_found:"));
    }

    [Test]
    public async Task AVisitorClosingTellsItsOperator()
    {
        var (op, visitor, session) = await AssignedAsync();
        var closed = HubEvents<JsonElement>.On(op, "session_closed");
        await visitor.InvokeAsync("Close").WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That((await closed.NextAsync()).GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId));
        Assert.That((await InvokeAsync(op, "ListMine")).GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task ClosingAWaitingSessionWithdrawsTheOffer()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var removed = HubEvents<JsonElement>.On(op, "assignment_removed");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "1", text = "Hi" });
        var assignmentId = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid();

        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/close", new { })).ShouldBe(200);
        var gone = await removed.NextAsync();
        Assert.That((gone.GetProperty("assignment_id").GetGuid(), gone.GetProperty("reason").GetString()), Is.EqualTo((assignmentId, "closed")));
        var again = (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/close", new { })).ShouldBe(200);
        Assert.That(again.Data.GetProperty("status").GetString(), Is.EqualTo("closed"));
        (await Api.SignedAsync(await Api.CreateTenantAsync(), HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/close", new { }))
            .ShouldBe(404, "session_not_found");
    }
}
