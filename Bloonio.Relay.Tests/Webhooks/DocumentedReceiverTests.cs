using System.Diagnostics;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Bloonio.Relay.Web.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Webhooks;

/// <summary>The receivers of docs/webhooks (Python and Node) verify real deliveries and spot a replayed duplicate.</summary>
[NonParallelizable]
public sealed class DocumentedReceiverTests
{
    [TestCase("python3", "receiver.py")]
    [TestCase("node", "receiver.mjs")]
    public async Task TheDocumentedReceiverAcceptsEachEventOnce(string runtime, string file)
    {
        await using var relay = new RelayFactory();
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();

        var start = new ProcessStartInfo(runtime) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(TestPaths.RepositoryRoot(), "docs", "webhooks", file));
        start.ArgumentList.Add("0");
        start.Environment["TENANT_SECRET"] = tenant.Secret;
        using var receiver = Process.Start(start)!;
        try
        {
            var first = await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var url = first!.Split(' ').Last();
            (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { webhook_url = url })).ShouldBe(200);
            await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "doc" });
            await relay.Services.GetRequiredService<EventDispatcher>().RunOnceAsync(default);
            await relay.Services.GetRequiredService<WebhookWorker>().RunOnceAsync(default);
            var accepted = await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.That(accepted, Does.StartWith("accepted ").And.Contain("session.created"));

            var deliveryId = (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/webhooks/deliveries")).ShouldBe(200)
                .Data.GetProperty("deliveries")[0].GetProperty("delivery_id").GetString();
            (await api.SignedAsync(tenant, HttpMethod.Post, $"/api/v1/relay/webhooks/deliveries/{deliveryId}/replay", new { })).ShouldBe(201);
            await relay.Services.GetRequiredService<WebhookWorker>().RunOnceAsync(default);
            var duplicate = await receiver.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20));
            Assert.That(duplicate, Does.StartWith("duplicate ").And.Contain(accepted!.Split(' ')[1]));
        }
        finally
        {
            receiver.Kill(entireProcessTree: true);
        }
    }
}
