using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Presence in GET /relay/operators, SetAvailability, and deprovisioning closing live connections.</summary>
public sealed class PresenceTests : HubTestBase
{
    private async Task<string> PresenceOfAsync(string email) =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200).Data.EnumerateArray()
            .Single(o => o.GetProperty("email").GetString() == email).GetProperty("presence").GetString()!;

    [Test]
    public async Task PresenceFollowsConnectionsAndAvailability()
    {
        string connected = $"on-{Guid.NewGuid():N}@example.com", never = $"off-{Guid.NewGuid():N}@example.com";
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, email: connected));
        await OperatorTokenAsync(null, email: never);

        Assert.That(await PresenceOfAsync(connected), Is.EqualTo("online"));
        Assert.That(await PresenceOfAsync(never), Is.EqualTo("offline"));

        await InvokeAsync(op, "SetAvailability", new { status = "away" });
        Assert.That(await PresenceOfAsync(connected), Is.EqualTo("away"));
        await InvokeAsync(op, "SetAvailability", new { status = "available" });
        Assert.That(await PresenceOfAsync(connected), Is.EqualTo("online"));
        Assert.That(await HubErrorAsync(op, "SetAvailability", new { status = "asleep" }), Does.StartWith("validation_failed:"));
    }

    [Test]
    public async Task DeprovisioningClosesTheOperatorsLiveConnections()
    {
        var email = $"bye-{Guid.NewGuid():N}@example.com";
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, email: email));
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        op.Closed += _ =>
        {
            closed.TrySetResult();
            return Task.CompletedTask;
        };

        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email })).ShouldBe(200);
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(op.State, Is.EqualTo(HubConnectionState.Disconnected));
    }
}

/// <summary>Routing key changes apply to a live operator connection without reconnecting.</summary>
public sealed class RoutingKeyChangeTests : HubTestBase
{
    [Test]
    public async Task ReprovisioningWithNewKeysMovesTheLiveConnectionBetweenQueues()
    {
        var email = $"moving-{Guid.NewGuid():N}@example.com";
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["store_a"], email: email));
        var offers = HubEvents<System.Text.Json.JsonElement>.On(op, "assignment_waiting");
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Moving", routing_keys = new[] { "store_b" } })).ShouldBe(200);

        var oldQueue = await OpenSessionAsync("human", "store_a");
        await InvokeAsync(await ConnectAsync("/hubs/visitor", oldQueue.Token), "Send", new { client_message_id = "a", text = "old queue" });
        var newQueue = await OpenSessionAsync("human", "store_b");
        await InvokeAsync(await ConnectAsync("/hubs/visitor", newQueue.Token), "Send", new { client_message_id = "b", text = "new queue" });

        // Offers arrive in order: the first one this connection sees is the new queue's, never the old one's.
        Assert.That((await offers.NextAsync()).GetProperty("routing_key").GetString(), Is.EqualTo("store_b"));
        Assert.That(offers.TryTake(out _), Is.False);
        var queue = (await InvokeAsync(op, "ListQueue")).EnumerateArray().Select(a => a.GetProperty("routing_key").GetString());
        Assert.That(queue, Is.EqualTo(new[] { "store_b" }));
    }
}
