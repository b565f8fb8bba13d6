using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record AcceptAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId) : IRequest<AcceptResult>, ITenantScoped;

public sealed record AcceptResult(Assignment Assignment, Session Session, IReadOnlyList<JournalMessage> History);

/// <summary>
/// Exactly one operator wins a race (decided under the session's lock); the others get <c>already_assigned</c>.
/// Outside the operator's routing keys: <c>forbidden_routing_key</c>; at its max_concurrent: <c>max_concurrent_reached</c>;
/// another tenant's id: <c>not_found</c>.
/// </summary>
public sealed class AcceptAssignmentHandler(
    OperatorAccess access, ITenantRepository tenants, ISessionTransitions transitions, ISessionRepository sessions, IRelayNotifier notifier,
    QueueNotifications queue, TimeProvider clock)
    : IRequestHandler<AcceptAssignmentCommand, AcceptResult>
{
    public async Task<AcceptResult> Handle(AcceptAssignmentCommand request, CancellationToken cancellationToken)
    {
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var tenant = await tenants.GetAsync(request.TenantId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        var outcome = (await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.Accept, clock.GetUtcNow(),
            AssignmentId: request.AssignmentId, OperatorId: request.OperatorId).HeldBy(membership, tenant), cancellationToken))!;
        var accepted = outcome.After!;
        RelayTelemetry.TimeToAccept.Record(Math.Max(0, ((accepted.AssignedAt ?? clock.GetUtcNow()) - accepted.WaitingSince).TotalSeconds));

        await notifier.AssignmentRemovedAsync(accepted, "accepted", cancellationToken);
        await notifier.AssignmentAssignedAsync(accepted, cancellationToken);
        await notifier.SessionStateAsync(accepted.TenantId, accepted.SessionId, SessionStatuses.Assigned, null,
            new SessionOperator(membership.DisplayName, membership.AvatarUrl), cancellationToken);
        await queue.QueueMovedAsync(accepted.TenantId, accepted.RoutingKey, cancellationToken);

        // Read after the commit: every message stored before the accept is here, every one after reaches the new owner live.
        var history = await sessions.ListMessagesAsync(request.TenantId, accepted.SessionId,
            Math.Max(0, outcome.Session.LastSeq - 50), 50, cancellationToken);
        return new AcceptResult(accepted, outcome.Session, history);
    }
}
