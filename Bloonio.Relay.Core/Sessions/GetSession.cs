using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>SPEC 4: a session as the tenant's backend sees it; another tenant's id is 404.</summary>
public sealed record GetSessionQuery(Guid TenantId, Guid SessionId) : IRequest<SessionDetail>, ITenantScoped;

public sealed record SessionDetail(
    Guid SessionId, Guid VisitorId, string Mode, string Status, string? RoutingKey, string? TicketId, int LastSeq,
    AssignmentSummary? Assignment, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt);

public sealed record AssignmentSummary(Guid AssignmentId, string Status, Guid? OperatorId, DateTimeOffset WaitingSince);

public sealed class GetSessionHandler(ISessionRepository sessions, IAssignmentRepository assignments) : IRequestHandler<GetSessionQuery, SessionDetail>
{
    public async Task<SessionDetail> Handle(GetSessionQuery request, CancellationToken cancellationToken)
    {
        var s = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        var open = await assignments.FindOpenForSessionAsync(request.TenantId, request.SessionId, cancellationToken);
        return new SessionDetail(s.SessionId, s.VisitorId, s.Mode, s.Status, s.RoutingKey, s.TicketId, s.LastSeq,
            open is null ? null : new AssignmentSummary(open.AssignmentId, open.Status, open.OperatorId, open.WaitingSince), s.CreatedAt, s.ClosedAt);
    }
}
