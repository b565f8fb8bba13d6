using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Bloonio.Relay.Web.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Observability;

/// <summary>A receiver that refuses connections is logged (it was not at all), once per burst with counts, not once per attempt.</summary>
public sealed class FailureLoggingTests : TenantTestBase
{
    [Test]
    public async Task ARefusedWebhookConnectionIsLoggedOncePerBurst()
    {
        var closed = RedisServer.FreePort(); // nothing listens there
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { webhook_url = $"http://127.0.0.1:{closed}/hook" }))
            .ShouldBe(200);
        for (var i = 0; i < 3; i++)
        {
            (await Api.WidgetSessionAsync(Tenant)).ShouldBe(201);
        }

        var services = RelayFactory.Shared.Services;
        await services.GetRequiredService<EventDispatcher>().RunOnceAsync(default);
        await services.GetRequiredService<WebhookWorker>().RunOnceAsync(default);

        var lines = RelayFactory.Shared.Logs.Lines.Where(l => l.Contains($"of tenant {Tenant.TenantId} to 127.0.0.1:{closed}", StringComparison.Ordinal)).ToList();
        Assert.That(lines, Has.Count.EqualTo(1), string.Join('\n', lines));
        Assert.That(lines[0], Does.StartWith("Warning").And.Contain("Webhook delivery").And.Contain("failed"));
        Assert.That(lines[0], Does.Contain("1 in this burst"), "the first failure is reported at once");
    }
}
