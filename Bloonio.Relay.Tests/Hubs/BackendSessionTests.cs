using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>SPEC 4's session endpoints for the in-app SDK and the tenant's own logic.</summary>
public sealed class BackendSessionTests : HubTestBase
{
    [Test]
    public async Task AVisitorTokenForAUserResumesItsOpenSessionInTheSameRoutingKey()
    {
        var first = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "user-1", display_name = "Ada", routing_key = "store_1" })).ShouldBe(200).Data;
        var again = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "user-1", routing_key = "store_1" })).ShouldBe(200).Data;
        var otherKey = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "user-1", routing_key = "store_2" })).ShouldBe(200).Data;

        Assert.That(again.GetProperty("session_id").GetString(), Is.EqualTo(first.GetProperty("session_id").GetString()));
        Assert.That(otherKey.GetProperty("session_id").GetString(), Is.Not.EqualTo(first.GetProperty("session_id").GetString()));
        var visitor = await ConnectAsync("/hubs/visitor", again.GetProperty("visitor_token").GetString()!);
        Assert.That((await InvokeAsync(visitor, "Send", new { client_message_id = "x", text = "from the app" })).GetProperty("seq").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task ConcurrentCallsForOneUserOpenOneSession()
    {
        var start = RelayFactory.Shared.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "racer" }, start - i))));
        Assert.That(responses.Select(r => r.ShouldBe(200).Data.GetProperty("session_id").GetString()).Distinct().Count(), Is.EqualTo(1));
    }

    [Test]
    public async Task ProvisioningASessionWithAnInitialMessageQueuesAHumanModeUser()
    {
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(op, "assignment_waiting");
        var created = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/session",
            new { external_user_id = "user-2", mode = "human", initial_message = "My order #42 never arrived" })).ShouldBe(201).Data;
        Assert.That(created.GetProperty("initial_message").GetProperty("seq").GetInt32(), Is.EqualTo(1));
        Assert.That((await offers.NextAsync()).GetProperty("session_id").GetString(), Is.EqualTo(created.GetProperty("session").GetProperty("session_id").GetString()));
    }

    [Test]
    public async Task TheBackendPostsAsSystemOrAsAnOperatorAndItIsIdempotent()
    {
        var email = $"backend-op-{Guid.NewGuid():N}@example.com";
        await OperatorTokenAsync(null, email: email);
        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var messages = HubEvents<JsonElement>.On(visitor, "message");
        var path = $"/api/v1/relay/sessions/{session.SessionId}/messages";

        var system = (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "Your parcel shipped.", client_message_id = "ship-1", sender = new { type = "system" } }))
            .ShouldBe(201).Data;
        var repeat = (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "Your parcel shipped.", client_message_id = "ship-1", sender = new { type = "system" } }))
            .ShouldBe(201).Data;
        Assert.That(repeat.GetProperty("message_id").GetString(), Is.EqualTo(system.GetProperty("message_id").GetString()));
        (await Api.SignedAsync(Tenant, HttpMethod.Post, path, new { text = "Hello from the team", sender = new { type = "operator", email } })).ShouldBe(201);

        var fromOperator = await messages.WaitForAsync(m => m.GetProperty("sender").GetProperty("type").GetString() == "operator");
        Assert.That(fromOperator.GetProperty("text").GetString(), Is.EqualTo("Hello from the team"));
        var journal = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"{path}?after_seq=0")).ShouldBe(200).Data;
        Assert.That(journal.EnumerateArray().Select(m => m.GetProperty("seq").GetInt32()), Is.EqualTo(new[] { 1, 2 }));
    }

    [Test]
    public async Task BadBackendInputIsNamed()
    {
        var v = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { mode = "robot" })).ShouldBe(422, "validation_failed");
        Assert.That(v.ErrorFields, Is.EquivalentTo(new[] { "external_user_id", "mode" }));
        var session = await OpenSessionAsync("human");
        var m = (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/messages",
            new { text = "", sender = new { type = "operator" } })).ShouldBe(422, "validation_failed");
        Assert.That(m.ErrorFields, Is.EquivalentTo(new[] { "text", "sender.email" }));
        (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{Guid.CreateVersion7()}")).ShouldBe(404, "session_not_found");
    }
}
