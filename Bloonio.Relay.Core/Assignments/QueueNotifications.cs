using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>
/// Everything that follows a WAITING assignment: auto-assignment when the tenant has it, otherwise the offer to the
/// queue's operators; and each waiting visitor's place and estimated wait whenever its queue moves.
/// </summary>
public sealed class QueueNotifications(
    IAssignmentRepository assignments, IOperatorRepository operators, IOperatorPresence presence, ITenantRepository tenants,
    ISessionTransitions transitions, IRelayNotifier notifier, TimeProvider clock)
{
    private const int DefaultWaitSecondsPerPlace = 60;

    public async Task WaitingAsync(Assignment assignment, CancellationToken ct)
    {
        if (await TryAutoAssignAsync(assignment, ct))
        {
            await QueueMovedAsync(assignment.TenantId, assignment.RoutingKey, ct);
            return;
        }

        await notifier.AssignmentWaitingAsync(assignment, ct);
        await QueueMovedAsync(assignment.TenantId, assignment.RoutingKey, ct);
    }

    /// <summary>Re-sends every waiting visitor of the queue its place (1-based, oldest first) and estimated wait.</summary>
    public async Task QueueMovedAsync(Guid tenantId, string? routingKey, CancellationToken ct)
    {
        var waiting = (await assignments.ListWaitingAsync(tenantId, routingKey is null ? null : [routingKey], ct))
            .Where(a => a.RoutingKey == routingKey).ToList();
        if (waiting.Count == 0)
        {
            return;
        }

        var perPlace = await assignments.AverageWaitSecondsAsync(tenantId, routingKey, ct) ?? DefaultWaitSecondsPerPlace;
        for (var i = 0; i < waiting.Count; i++)
        {
            await notifier.SessionStateAsync(tenantId, waiting[i].SessionId, SessionStatuses.Waiting, i + 1, null, ct,
                estimatedWaitSeconds: (int)Math.Ceiling(perPlace * (i + 1)));
        }
    }

    /// <summary>
    /// SPEC 7: the available, connected operator of the queue with the fewest open assignments (ties: longest idle),
    /// below max_concurrent. The claim is the same database-decided accept as a click, so it races safely with people.
    /// </summary>
    private async Task<bool> TryAutoAssignAsync(Assignment assignment, CancellationToken ct)
    {
        var tenant = await tenants.GetAsync(assignment.TenantId, ct);
        if (tenant?.Configuration.FeatureFlags.AutoAssign != true)
        {
            return false;
        }

        var members = (await operators.ListAsync(assignment.TenantId, ct))
            .Where(m => m is { Active: true, OperatorActive: true, Availability: "available" } && OperatorAccess.Serves(m, assignment.RoutingKey))
            .ToList();
        var online = await presence.GetAsync(assignment.TenantId, members.Select(m => m.OperatorId).ToList(), ct);
        var load = (await assignments.ListOperatorLoadAsync(assignment.TenantId, ct)).ToDictionary(l => l.OperatorId);
        var candidates = members
            .Where(m => online.GetValueOrDefault(m.OperatorId) == Presence.Online)
            .Select(m => (Member: m, Load: load.GetValueOrDefault(m.OperatorId)))
            .Where(c => (c.Load?.OpenAssignments ?? 0) < Holder.Capacity(c.Member, tenant))
            .OrderBy(c => c.Load?.OpenAssignments ?? 0)
            .ThenBy(c => c.Load?.LastAssignedAt ?? DateTimeOffset.MinValue);

        foreach (var (member, _) in candidates)
        {
            TransitionOutcome accepted;
            try
            {
                accepted = (await transitions.RunAsync(new TransitionCommand(assignment.TenantId, SessionTrigger.Accept, clock.GetUtcNow(),
                    assignment.SessionId, assignment.AssignmentId, member.OperatorId).HeldBy(member, tenant), ct))!;
            }
            catch (ConflictException ex) when (ex.ErrorCode == ErrorCodes.MaxConcurrentReached)
            {
                continue; // that operator filled up meanwhile: the next one
            }
            catch (RelayException)
            {
                return true; // taken, transferred or closed meanwhile: nothing to offer
            }

            await notifier.AssignmentAssignedAsync(accepted.After!, ct);
            await notifier.SessionStateAsync(assignment.TenantId, assignment.SessionId, SessionStatuses.Assigned, null,
                new SessionOperator(member.DisplayName, member.AvatarUrl), ct);
            return true;
        }

        return false;
    }
}
