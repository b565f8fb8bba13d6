using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using MediatR;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Runs the event consumers (brain persistence, and webhooks next) every <c>Relay:DispatchIntervalSeconds</c> (2 s) on
/// every node; leases keep two nodes off the same tenant.
/// </summary>
public sealed class EventDispatcher(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<EventDispatcher> logger)
    : PeriodicWork<int>(clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:DispatchIntervalSeconds";

    protected override double DefaultIntervalSeconds => 2;

    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "dispatcher";
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new DispatchEventsCommand(), ct);
    }
}
