using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>Who may open which hub and touch which assignment.</summary>
public sealed class HubSecurityTests : HubTestBase
{
    [Test]
    public async Task AVisitorTokenNeverOpensTheOperatorHub()
    {
        var session = await OpenSessionAsync();
        var connection = Unstarted("/hubs/operator", session.Token);
        Assert.That(async () => await connection.StartAsync().WaitAsync(TimeSpan.FromSeconds(10)), Throws.Exception);
    }

    [Test]
    public async Task AnOperatorTokenNeverOpensTheVisitorHub()
    {
        var connection = Unstarted("/hubs/visitor", await OperatorTokenAsync(null));
        Assert.That(async () => await connection.StartAsync().WaitAsync(TimeSpan.FromSeconds(10)), Throws.Exception);
    }

    [Test]
    public async Task ADeprovisionedOperatorCannotConnect()
    {
        var email = $"gone-{Guid.NewGuid():N}@example.com";
        var token = await OperatorTokenAsync(null, email: email);
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/deprovision/operator", new { email })).ShouldBe(200);
        Assert.That(async () => await Unstarted("/hubs/operator", token).StartAsync().WaitAsync(TimeSpan.FromSeconds(10)), Throws.Exception);
    }

    [Test]
    public async Task AnotherTenantsAssignmentIsNotFound()
    {
        var tenantB = await Api.CreateTenantAsync();
        var opB = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, tenantB));
        var offersB = HubEvents<JsonElement>.On(opB, "assignment_waiting");
        var sessionB = await OpenSessionAsync("human", tenant: tenantB);
        await InvokeAsync(await ConnectAsync("/hubs/visitor", sessionB.Token), "Send", new { client_message_id = "b", text = "B here" });
        var assignmentB = (await offersB.NextAsync()).GetProperty("assignment_id").GetGuid();

        var opA = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        Assert.That(await HubErrorAsync(opA, "Accept", new { assignment_id = assignmentB }), Does.StartWith("not_found:"));
        Assert.That(await HubErrorAsync(opA, "History", new { session_id = sessionB.SessionId, after_seq = 0 }), Does.StartWith("session_not_found:"));
    }

    [Test]
    public async Task AnOperatorMayNotAcceptOutsideItsRoutingKeys()
    {
        var wide = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        var offers = HubEvents<JsonElement>.On(wide, "assignment_waiting");
        var session = await OpenSessionAsync("human", "store_1");
        await InvokeAsync(await ConnectAsync("/hubs/visitor", session.Token), "Send", new { client_message_id = "x", text = "Hi" });
        var assignmentId = (await offers.NextAsync()).GetProperty("assignment_id").GetGuid();

        var other = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(["store_2"]));
        Assert.That(await HubErrorAsync(other, "Accept", new { assignment_id = assignmentId }), Does.StartWith("forbidden_routing_key:"));
        Assert.That(await HubErrorAsync(other, "Send", new { session_id = session.SessionId, client_message_id = "y", text = "Hi" }),
            Does.StartWith("not_assigned:"));
    }

    [Test]
    public async Task AHubMessageOver32KiBClosesTheConnection()
    {
        var session = await OpenSessionAsync();
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        visitor.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };

        _ = visitor.SendAsync("Send", new { client_message_id = "big", text = new string('x', 33 * 1024) });
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(visitor.State, Is.EqualTo(HubConnectionState.Disconnected));
    }

    [Test]
    public async Task ATokenReplacedWhileConnectedIsRefusedAtItsNextCall()
    {
        var email = $"tv-{Guid.NewGuid():N}@example.com";
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, email: email));
        await InvokeAsync(op, "ListQueue");
        var closed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        op.Closed += e =>
        {
            closed.TrySetResult(e);
            return Task.CompletedTask;
        };

        // Another node's change whose cluster event this node never got: the row moves on, only the cache is dropped.
        await using (var db = new Npgsql.NpgsqlConnection(TestDatabase.ConnectionString))
        {
            await db.OpenAsync();
            await using var bump = new Npgsql.NpgsqlCommand(
                "UPDATE operator_memberships SET token_version = token_version + 1 WHERE tenant_id = @t", db);
            bump.Parameters.AddWithValue("t", Tenant.TenantId);
            Assert.That(await bump.ExecuteNonQueryAsync(), Is.EqualTo(1));
        }

        RelayFactory.Shared.Services.GetRequiredService<Bloonio.Relay.Data.Caching.RelayCaches>().InvalidateOperators(Tenant.TenantId);
        Assert.CatchAsync(() => InvokeAsync(op, "ListQueue"), "the call is refused");
        var reason = await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(reason?.Message, Does.Contain("membership_inactive: This operator token is no longer valid"), "closed, told why");
    }
}
