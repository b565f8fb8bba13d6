using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record AcceptAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId) : IRequest<AcceptResult>, ITenantScoped;

public sealed record AcceptResult(Assignment Assignment, Session Session, IReadOnlyList<JournalMessage> History);

/// <summary>
/// Exactly one operator wins a race (the database decides); the others get <c>already_assigned</c>. Outside the
/// operator's routing keys: <c>forbidden_routing_key</c>. Another tenant's id: <c>not_found</c>.
/// </summary>
public sealed class AcceptAssignmentHandler(
    OperatorAccess access, IAssignmentRepository assignments, ISessionRepository sessions, IRelayNotifier notifier, QueueNotifications queue,
    TimeProvider clock)
    : IRequestHandler<AcceptAssignmentCommand, AcceptResult>
{
    public const int DefaultMaxConcurrent = 5;

    public async Task<AcceptResult> Handle(AcceptAssignmentCommand request, CancellationToken cancellationToken)
    {
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var waiting = await assignments.GetAsync(request.TenantId, request.AssignmentId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "Assignment not found");
        if (!OperatorAccess.Serves(membership, waiting.RoutingKey))
        {
            throw new ForbiddenException(ErrorCodes.ForbiddenRoutingKey, "This assignment is outside your routing keys");
        }

        var outcome = await assignments.AcceptAsync(request.TenantId, request.AssignmentId, request.OperatorId, DefaultMaxConcurrent,
            clock.GetUtcNow(), cancellationToken);
        var accepted = outcome.Status switch
        {
            AcceptStatus.Accepted => outcome.Assignment!,
            AcceptStatus.AlreadyAssigned => throw new ConflictException(ErrorCodes.AlreadyAssigned, "Another operator accepted this assignment"),
            AcceptStatus.MaxConcurrentReached => throw new ConflictException(ErrorCodes.MaxConcurrentReached,
                $"You already have {DefaultMaxConcurrent} open assignments"),
            _ => throw new NotFoundException(ErrorCodes.AssignmentNotFound, "Assignment not found"),
        };

        await notifier.AssignmentRemovedAsync(accepted, "accepted", cancellationToken);
        await notifier.AssignmentAssignedAsync(accepted, cancellationToken);
        await notifier.SessionStateAsync(accepted.TenantId, accepted.SessionId, SessionStatuses.Assigned, null,
            new SessionOperator(membership.DisplayName, membership.AvatarUrl), cancellationToken);
        await queue.QueueMovedAsync(accepted.TenantId, accepted.RoutingKey, cancellationToken);

        var session = (await sessions.GetAsync(request.TenantId, accepted.SessionId, cancellationToken))!;
        var history = await sessions.ListMessagesAsync(request.TenantId, accepted.SessionId,
            Math.Max(0, session.LastSeq - 50), 50, cancellationToken);
        return new AcceptResult(accepted, session, history);
    }
}
