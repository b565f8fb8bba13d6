using Bloonio.Relay.Core.Webhooks;
using Bloonio.Relay.Web.Hosting;

namespace Bloonio.Relay.Web.Webhooks;

/// <summary>Sends due webhook deliveries every <c>Relay:WebhookIntervalSeconds</c> (1 s) on every node.</summary>
public sealed class WebhookWorker(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<WebhookWorker> logger)
    : PeriodicCommand<int>(scopes, clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:WebhookIntervalSeconds";

    protected override double DefaultIntervalSeconds => 1;

    protected override string Actor => "webhooks";

    protected override MediatR.IRequest<int> Command => new DeliverWebhooksCommand();
}
