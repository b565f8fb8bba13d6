using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hubs;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>
/// A hub connect is all or nothing: one that fails (quota, suspension, the client gone mid-connect) leaves no connection
/// slot and no operator presence behind, since SignalR never calls OnDisconnectedAsync for it.
/// </summary>
[NonParallelizable]
public sealed class HubConnectTests : OwnRelayTestBase
{
    private VisitorConnections Visitors => Relay.Services.GetRequiredService<VisitorConnections>();

    private OperatorConnections Operators => Relay.Services.GetRequiredService<OperatorConnections>();

    private async Task<string> VisitorTokenAsync() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = Guid.NewGuid().ToString(), mode = "human" })).ShouldBe(200).Data.GetProperty("visitor_token").GetString()!;

    private async Task<(string Token, Guid OperatorId)> OperatorTokenAsync()
    {
        var email = $"connect-{Guid.NewGuid():N}@example.com";
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Connector" })).ShouldBe(201);
        var data = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email })).ShouldBe(200).Data;
        return (data.GetProperty("operator_token").GetString()!, Guid.Parse(data.GetProperty("operator_id").GetString()!));
    }

    [Test]
    public async Task ARefusedConnectTakesNoSlotAndAFreedSlotIsReused()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { quotas = new { concurrent_visitor_connections = 2 } })).ShouldBe(200);
        await using var first = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", await VisitorTokenAsync());
        await using var second = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", await VisitorTokenAsync());
        await first.StartReadyAsync("/hubs/visitor");
        await second.StartReadyAsync("/hubs/visitor");

        for (var i = 0; i < 5; i++)
        {
            await using var refused = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", await VisitorTokenAsync());
            Assert.That(async () => await refused.StartReadyAsync("/hubs/visitor"), Throws.Exception, "over the quota");
        }

        Assert.That(Visitors.Count(Tenant.TenantId), Is.EqualTo(2), "the refused ones hold nothing");
        await first.DisposeAsync();
        await Eventually.HoldsAsync(() => Visitors.Count(Tenant.TenantId) == 1, "the slot is freed when a visitor leaves");
        await using var third = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", await VisitorTokenAsync());
        await third.StartReadyAsync("/hubs/visitor");
        Assert.That(Visitors.Count(Tenant.TenantId), Is.EqualTo(2));
    }

    [Test]
    public async Task ClientsGoneMidConnectLeaveNothingBehind()
    {
        var (operatorToken, operatorId) = await OperatorTokenAsync();
        for (var i = 0; i < 30; i++)
        {
            // The server answers the handshake, then runs OnConnectedAsync: leaving right after the handshake lands in it.
            var visitor = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", await VisitorTokenAsync());
            var op = HubConnections.ForTestServer(Relay.Server, "/hubs/operator", operatorToken);
            await Task.WhenAll(visitor.StartAsync(), op.StartAsync()).WaitAsync(TimeSpan.FromSeconds(10));
            await Task.WhenAll(visitor.DisposeAsync().AsTask(), op.DisposeAsync().AsTask());
        }

        await Eventually.HoldsAsync(() => Visitors.Count(Tenant.TenantId) == 0, "no visitor slot is left taken");
        await Eventually.HoldsAsync(() => Operators.Count(Tenant.TenantId, operatorId) == 0, "no operator is left online");
    }

    [Test]
    public async Task ASuspendedTenantsConnectsAreRefusedAndHoldNothing()
    {
        var visitorToken = await VisitorTokenAsync();
        var (operatorToken, operatorId) = await OperatorTokenAsync();
        (await Api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{Tenant.TenantId}/suspend")).ShouldBe(200);

        await using var visitor = HubConnections.ForTestServer(Relay.Server, "/hubs/visitor", visitorToken);
        await using var op = HubConnections.ForTestServer(Relay.Server, "/hubs/operator", operatorToken);
        Assert.That(async () => await visitor.StartReadyAsync("/hubs/visitor"), Throws.Exception);
        Assert.That(async () => await op.StartReadyAsync("/hubs/operator"), Throws.Exception);
        Assert.That((Visitors.Count(Tenant.TenantId), Operators.Count(Tenant.TenantId, operatorId)), Is.EqualTo((0, 0)));
    }
}
