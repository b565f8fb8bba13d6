using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// The visitor leaves (<paramref name="VisitorId"/> from its token) or the backend closes the session: the session
/// and any open assignment close; a waiting offer is withdrawn, an assigned operator is told. Idempotent.
/// </summary>
public sealed record CloseSessionCommand(Guid TenantId, Guid SessionId, Guid? VisitorId, string Reason) : IRequest<Unit>, ITenantScoped;

public sealed class CloseSessionHandler(
    ISessionRepository sessions, ISessionTransitions transitions, IRelayNotifier notifier, QueueNotifications queue, TimeProvider clock)
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

        var now = clock.GetUtcNow();
        var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System), "The conversation was closed.", null, now);
        var closed = await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.Close, now, request.SessionId,
            Reason: request.Reason, Notice: notice), cancellationToken);
        if (closed is not null)
        {
            await notifier.ClosedAsync(closed, queue, cancellationToken);
        }

        return Unit.Value;
    }
}

public static class ClosedNotifications
{
    /// <summary>Who hears that a session closed: the visitor, and its operator or, if it was still waiting, its queue.</summary>
    public static async Task ClosedAsync(this IRelayNotifier notifier, TransitionOutcome closed, QueueNotifications queue, CancellationToken ct)
    {
        var (session, before) = (closed.Session, closed.Before);
        await notifier.MessageAsync(closed.Notice!, before?.OperatorId, ct);
        await notifier.SessionStateAsync(session.TenantId, session.SessionId, SessionStatuses.Closed, null, null, ct);
        if (before is { OperatorId: { } op })
        {
            await notifier.SessionClosedAsync(session.TenantId, session.SessionId, op, ct);
        }
        else if (before is not null)
        {
            await notifier.AssignmentRemovedAsync(before, closed.Transition.Trigger == SessionTrigger.Timeout ? "timeout" : "closed", ct);
            await queue.QueueMovedAsync(session.TenantId, before.RoutingKey, ct);
        }
    }
}
