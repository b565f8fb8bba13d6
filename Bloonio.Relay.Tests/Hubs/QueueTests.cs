using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Queue position and estimated wait as the queue moves, and auto-assignment.</summary>
public sealed class QueueTests : HubTestBase
{
    [Test]
    public async Task WaitingVisitorsMoveUpWhenTheQueueMoves()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var first = await ConnectAsync("/hubs/visitor", (await OpenSessionAsync("human")).Token);
        await InvokeAsync(first, "Send", new { client_message_id = "1", text = "first" });
        var firstOffer = await offers.NextAsync();

        var secondSession = await OpenSessionAsync("human");
        var second = await ConnectAsync("/hubs/visitor", secondSession.Token);
        var states = HubEvents<JsonElement>.On(second, "session_state");
        await InvokeAsync(second, "Send", new { client_message_id = "2", text = "second" });
        var placed = await states.WaitForAsync(s => s.TryGetProperty("queue_position", out var p) && p.ValueKind == JsonValueKind.Number);
        Assert.That(placed.GetProperty("queue_position").GetInt32(), Is.EqualTo(2));
        Assert.That(placed.GetProperty("estimated_wait_seconds").GetInt32(), Is.GreaterThan(0));

        await InvokeAsync(op, "Accept", new { assignment_id = firstOffer.GetProperty("assignment_id").GetGuid() });
        var moved = await states.WaitForAsync(s => s.GetProperty("queue_position").ValueKind == JsonValueKind.Number
                                                   && s.GetProperty("queue_position").GetInt32() == 1);
        Assert.That(moved.GetProperty("session_id").GetGuid(), Is.EqualTo(secondSession.SessionId));
    }

    [Test]
    public async Task AutoAssignGivesTheSessionToTheLeastLoadedAvailableOperator()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { feature_flags = new { auto_assign = true } })).ShouldBe(200);
        var busy = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var away = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        await InvokeAsync(away, "SetAvailability", new { status = "away" });
        var busyAssigned = HubEvents<JsonElement>.On(busy, "assignment_assigned");

        var firstVisitor = await ConnectAsync("/hubs/visitor", (await OpenSessionAsync("human")).Token);
        await InvokeAsync(firstVisitor, "Send", new { client_message_id = "1", text = "first" });
        await busyAssigned.NextAsync(); // the only available operator gets it

        var idle = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var idleAssigned = HubEvents<JsonElement>.On(idle, "assignment_assigned");
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var states = HubEvents<JsonElement>.On(visitor, "session_state");
        await InvokeAsync(visitor, "Send", new { client_message_id = "2", text = "second" });

        Assert.That((await idleAssigned.NextAsync()).GetProperty("session_id").GetGuid(), Is.EqualTo(session.SessionId), "fewest open assignments wins");
        await states.WaitForAsync(s => s.GetProperty("status").GetString() == "assigned");
        Assert.That(busyAssigned.TryTake(out _), Is.False);
    }
}
