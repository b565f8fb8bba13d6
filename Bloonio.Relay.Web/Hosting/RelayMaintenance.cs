using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Hubs;
using MediatR;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Every <c>Relay:MaintenanceIntervalSeconds</c> (15 s) on every node: record which operators this node has connected
/// (the cross-node "last seen" the abandonment rule reads) and its peak of visitor connections per tenant; then, if this
/// node takes the cluster's sweep lease (one node per interval), sweep assignments and apply retention, so each overdue
/// assignment is timed out, and its ticket asked for, once.
/// </summary>
public sealed class RelayMaintenance(
    IServiceScopeFactory scopes, OperatorConnections live, VisitorConnections visitors, Core.Quotas.IUsageStore usage, IWorkLeases leases,
    TimeProvider clock, IConfiguration configuration, ILogger<RelayMaintenance> logger)
    : PeriodicWork<SweepResult>(clock, configuration, logger)
{
    private readonly TimeSpan _retentionInterval =
        TimeSpan.FromSeconds(Math.Max(0, configuration.GetValue("Relay:RetentionIntervalSeconds", 600.0)));

    private DateTimeOffset _lastRetention = DateTimeOffset.MinValue;

    protected override string IntervalKey => "Relay:MaintenanceIntervalSeconds";

    protected override double DefaultIntervalSeconds => 15;

    public override async Task<SweepResult> RunOnceAsync(CancellationToken ct)
    {
        await live.HeartbeatAsync(ct);
        var today = DateOnly.FromDateTime(Clock.GetUtcNow().UtcDateTime);
        foreach (var (tenantId, peak) in visitors.TakePeaks())
        {
            await usage.RecordPeakAsync(tenantId, today, peak, ct); // per node: with several nodes, each reports its own peak
        }

        // Held for most of the interval (PostgreSQL's clock): the next pass is any node's. With the loop off (tests), for
        // no time at all: every call sweeps.
        if (!await leases.TryAcquireAsync("sweep", Interval * 0.9, ct))
        {
            return SweepResult.Skipped;
        }

        // Retention works at the scale of days: once every RetentionIntervalSeconds (10 minutes) in the cluster is soon
        // enough (its own lease), and running its statements with every sweep was most of what an idle node asked of
        // PostgreSQL. A node asks for that lease only once its own interval has passed. With the loop off (tests), every
        // call applies it.
        var now = Clock.GetUtcNow();
        var retention = Interval == TimeSpan.Zero;
        if (!retention && now - _lastRetention >= _retentionInterval)
        {
            _lastRetention = now;
            retention = await leases.TryAcquireAsync("retention", _retentionInterval * 0.9, ct);
        }

        await using var scope = scopes.CreateAsyncScope();
        scope.ServiceProvider.GetRequiredService<CallerContext>().Actor = "maintenance";
        return await scope.ServiceProvider.GetRequiredService<IMediator>().Send(new SweepAssignmentsCommand(retention), ct);
    }
}
