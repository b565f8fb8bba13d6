using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Runs the event consumers (brain persistence, webhook fan-out, usage, tickets) on every node, each in a loop of its
/// own with its own cursors and back-off, so a slow one (a brain taking its time) never holds the others: woken when
/// events are numbered (a notification), and every <c>Relay:DispatchIntervalSeconds</c> (30 s) as a safety net (a
/// retry's back-off, say), stretched up to 5 minutes while it finds nothing; leases keep two nodes off the same
/// (consumer, tenant).
/// </summary>
public sealed class EventDispatcher(
    IServiceScopeFactory scopes, NotificationState notifications, TimeProvider clock, IConfiguration configuration, ILogger<EventDispatcher> logger)
    : BackgroundService
{
    private List<ConsumerLoop> _loops = [];

    /// <summary>Every consumer, one after the other, once (tests and tools; the loops do this on their own).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<Core.Common.CallerContext>().Actor = "dispatcher";
        return await scope.ServiceProvider.GetRequiredService<MediatR.IMediator>().Send(new DispatchEventsCommand(), ct);
    }

    public void Wake()
    {
        foreach (var loop in _loops)
        {
            loop.Wake();
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        List<string> names;
        await using (var scope = scopes.CreateAsyncScope())
        {
            names = scope.ServiceProvider.GetServices<IEventConsumer>().Select(c => c.Name).Distinct().ToList();
        }

        _loops = names.Select(name => new ConsumerLoop(name, scopes, notifications, clock, configuration, logger)).ToList();
        await Task.WhenAll(_loops.Select(l => l.StartAsync(stoppingToken)));
        try
        {
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }

        // The loops finish the batch they are in (a consumer's batch is at-least-once either way).
        await Task.WhenAll(_loops.Select(l => l.StopAsync(CancellationToken.None)));
    }

    private sealed class ConsumerLoop(
        string consumer, IServiceScopeFactory scopes, NotificationState notifications, TimeProvider clock, IConfiguration configuration, ILogger logger)
        : PeriodicCommand<int>(scopes, clock, configuration, logger)
    {
        /// <summary>
        /// Events wake the loop (the sequencer's notification), so a safety-net pass that found nothing lets the next one
        /// wait longer, up to 5 minutes; not while notifications are lost. What it delays: a consumer's retry after a
        /// failure, while no new event arrives (the next event wakes every loop).
        /// </summary>
        protected override bool Idle(int handled) => handled == 0 && notifications.Listening;

        protected override string IntervalKey => "Relay:DispatchIntervalSeconds";

        protected override double DefaultIntervalSeconds => 30;

        protected override TimeSpan Spacing => TimeSpan.FromMilliseconds(200);

        protected override string Actor => "dispatcher";

        protected override MediatR.IRequest<int> Command => new DispatchEventsCommand(consumer, NumberFirst: false);

        protected override string Name => $"{nameof(EventDispatcher)}({consumer})";
    }
}
