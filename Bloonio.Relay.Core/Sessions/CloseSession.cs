using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// The visitor leaves (<paramref name="VisitorId"/> from its token) or the backend closes the session: the session
/// and any open assignment close; a waiting offer is withdrawn, an assigned operator is told.
/// </summary>
public sealed record CloseSessionCommand(Guid TenantId, Guid SessionId, Guid? VisitorId, string Reason) : IRequest<Unit>, ITenantScoped;

public sealed class CloseSessionHandler(ISessionRepository sessions, IRelayNotifier notifier, QueueNotifications queue, TimeProvider clock)
    : IRequestHandler<CloseSessionCommand, Unit>
{
    public const string TimeoutReason = "timeout";

    public async Task<Unit> Handle(CloseSessionCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken);
        if (session is null || (request.VisitorId is { } visitor && session.VisitorId != visitor))
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        var text = request.Reason == TimeoutReason
            ? "No one could answer in time. We have your request" + (session.TicketId is { } t ? $" (ticket {t})" : "") + " and will follow up."
            : "The conversation was closed.";
        var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System), text, null, clock.GetUtcNow());
        if (await sessions.CloseAsync(request.TenantId, request.SessionId, request.Reason, notice, cancellationToken) is not { } closed)
        {
            return Unit.Value; // already closed: closing is idempotent
        }

        var assignment = closed.Assignment;
        await notifier.MessageAsync(closed.Notice, assignment?.OperatorId, cancellationToken);
        await notifier.SessionStateAsync(request.TenantId, request.SessionId, SessionStatuses.Closed, null, null, cancellationToken);
        if (assignment is { OperatorId: { } op })
        {
            await notifier.SessionClosedAsync(request.TenantId, request.SessionId, op, cancellationToken);
        }
        else if (assignment is not null)
        {
            await notifier.AssignmentRemovedAsync(assignment, request.Reason == TimeoutReason ? "timeout" : "closed", cancellationToken);
            await queue.QueueMovedAsync(request.TenantId, assignment.RoutingKey, cancellationToken);
        }

        return Unit.Value;
    }
}
