using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Webhooks;
using Bloonio.Relay.Web.Hosting;
using MediatR;

namespace Bloonio.Relay.Web.Webhooks;

/// <summary>Sends due webhook deliveries every <c>Relay:WebhookIntervalSeconds</c> (1 s) on every node.</summary>
public sealed class WebhookWorker(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<WebhookWorker> logger)
    : PeriodicWork<int>(clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:WebhookIntervalSeconds";

    protected override double DefaultIntervalSeconds => 1;

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "webhooks";
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new DeliverWebhooksCommand(), ct);
    }
}
