using Bloonio.Relay.Core.Webhooks;
using Bloonio.Relay.Web.Hosting;

namespace Bloonio.Relay.Web.Webhooks;

/// <summary>
/// Sends due webhook deliveries on every node: woken when deliveries are added (a notification), otherwise asleep until
/// the next one is due (a retry's schedule), at most <c>Relay:WebhookIntervalSeconds</c> (60 s).
/// </summary>
public sealed class WebhookWorker(
    IServiceScopeFactory scopes, IWebhookStore store, TimeProvider clock, IConfiguration configuration, ILogger<WebhookWorker> logger)
    : PeriodicCommand<int>(scopes, clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:WebhookIntervalSeconds";

    protected override double DefaultIntervalSeconds => 60;

    protected override string Actor => "webhooks";

    protected override MediatR.IRequest<int> Command => new DeliverWebhooksCommand();

    protected override async Task<TimeSpan> NextWaitAsync(TimeSpan interval, CancellationToken ct) =>
        await store.NextDueAtAsync(ct) is { } due
            ? TimeSpan.FromTicks(Math.Clamp((due - Clock.GetUtcNow()).Ticks, 0, interval.Ticks))
            : interval;
}
