using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Runs the event consumers (brain persistence, webhook fan-out, usage) on every node when events are numbered (a
/// notification), and every <c>Relay:DispatchIntervalSeconds</c> (30 s) as a safety net (a retry's back-off, say);
/// leases keep two nodes off the same tenant.
/// </summary>
public sealed class EventDispatcher(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<EventDispatcher> logger)
    : PeriodicCommand<int>(scopes, clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:DispatchIntervalSeconds";

    protected override double DefaultIntervalSeconds => 30;

    protected override TimeSpan Spacing => TimeSpan.FromMilliseconds(200);

    protected override string Actor => "dispatcher";

    protected override MediatR.IRequest<int> Command => new DispatchEventsCommand();
}
