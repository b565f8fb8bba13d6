using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Hubs;
using MediatR;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Every 15 s on every node: record which operators this node has connected (the cross-node "last seen" the
/// abandonment rule reads), then sweep assignments. Both are safe when several nodes do it at once.
/// </summary>
public sealed class RelayMaintenance(
    IServiceScopeFactory scopes, OperatorConnections live, TimeProvider clock, IConfiguration configuration, ILogger<RelayMaintenance> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Relay:MaintenanceIntervalSeconds = 0 turns the loop off (tests drive RunOnceAsync with their own clock).
        var seconds = configuration.GetValue("Relay:MaintenanceIntervalSeconds", 15);
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
                logger.LogError(ex, "Relay maintenance failed; retrying at the next tick");
            }
        }
    }

    public async Task<SweepResult> RunOnceAsync(CancellationToken ct)
    {
        await live.HeartbeatAsync(ct);
        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "maintenance";
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new SweepAssignmentsCommand(), ct);
    }
}
