using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Hubs;

/// <summary>max_concurrent counted per tenant with a membership's own override; the tenant's flags bind the visitor.</summary>
public sealed class CapacityAndFlagsTests : HubTestBase
{
    private async Task<Guid> WaitingAssignmentAsync(TestTenant tenant)
    {
        var session = await OpenSessionAsync("human", tenant: tenant);
        await InvokeAsync(await ConnectAsync("/hubs/visitor", session.Token), "Send", new { client_message_id = "1", text = "hi" });
        return await Concurrency.Invariants.OpenAssignmentAsync(session.SessionId);
    }

    [Test]
    public async Task AnOperatorsOwnLimitWinsAndIsCountedPerTenant()
    {
        var other = await Api.CreateTenantAsync();
        var email = $"both-{Guid.NewGuid():N}@example.com";
        (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            new { email, display_name = "Both", max_concurrent = 1 })).ShouldBe(201);
        var here = await ConnectAsync("/hubs/operator", (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token",
            new { email })).ShouldBe(200).Data.GetProperty("operator_token").GetString()!);
        var there = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null, other, email));

        await InvokeAsync(here, "Accept", new { assignment_id = await WaitingAssignmentAsync(Tenant) });
        Assert.That(await HubErrorAsync(here, "Accept", new { assignment_id = await WaitingAssignmentAsync(Tenant) }),
            Does.StartWith("max_concurrent_reached:"), "its own limit of 1 in this tenant");
        await InvokeAsync(there, "Accept", new { assignment_id = await WaitingAssignmentAsync(other) }); // another tenant counts apart
        var listed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200).Data.EnumerateArray()
            .Single(o => o.GetProperty("email").GetString() == email);
        Assert.That(listed.GetProperty("max_concurrent").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task TheTenantsLimitAppliesWhenTheOperatorHasNone()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { max_concurrent = 2 })).ShouldBe(200);
        var op = await ConnectAsync("/hubs/operator", await OperatorTokenAsync(null));
        await InvokeAsync(op, "Accept", new { assignment_id = await WaitingAssignmentAsync(Tenant) });
        await InvokeAsync(op, "Accept", new { assignment_id = await WaitingAssignmentAsync(Tenant) });
        Assert.That(await HubErrorAsync(op, "Accept", new { assignment_id = await WaitingAssignmentAsync(Tenant) }),
            Does.StartWith("max_concurrent_reached: You already have 2 open assignments"));
    }

    [Test]
    public async Task WithoutTheBotEverySessionIsHumanWithoutHandoffEverySessionStaysWithTheBot()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { feature_flags = new { bot = false } })).ShouldBe(200);
        Assert.That(await ModeAsync("bot"), Is.EqualTo("human"), "no bot: the visitor cannot ask for it");

        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { feature_flags = new { bot = true, human_handoff = false } })).ShouldBe(200);
        Assert.That(await ModeAsync("human"), Is.EqualTo("bot"), "no hand-off: the visitor cannot skip the bot");
        var backend = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token",
            new { external_user_id = "flags", mode = "human" })).ShouldBe(200).Data;
        Assert.That(backend.GetProperty("mode").GetString(), Is.EqualTo("bot"), "the backend's sessions follow the flags too");

        var session = await OpenSessionAsync("human");
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        Assert.That(await HubErrorAsync(visitor, "RequestHuman", new { reason = "please" }), Does.StartWith("handoff_disabled:"));
    }

    private async Task<string> ModeAsync(string asked)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode = asked }), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        return (await Api.SendAsync(request)).ShouldBe(201).Data.GetProperty("mode").GetString()!;
    }
}
