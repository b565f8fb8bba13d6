using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using MediatR;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Runs the event consumers (brain persistence, and webhooks next) every <c>Relay:DispatchIntervalSeconds</c> (2 s) on
/// every node; leases keep two nodes off the same tenant. 0 turns the loop off (tests call RunOnceAsync).
/// </summary>
public sealed class EventDispatcher(IServiceScopeFactory scopes, TimeProvider clock, IConfiguration configuration, ILogger<EventDispatcher> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var seconds = configuration.GetValue("Relay:DispatchIntervalSeconds", 2.0);
        if (seconds <= 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(seconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await RunOnceAsync(stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogError(ex, "Event dispatch failed; retrying at the next tick");
            }
        }
    }

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "dispatcher";
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new DispatchEventsCommand(), ct);
    }
}
