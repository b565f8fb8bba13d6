using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>The visitor's view of its session right now (sent on every hub connect, so a reloaded widget is exact).</summary>
public sealed record GetSessionStateQuery(Guid TenantId, Guid SessionId) : IRequest<SessionState>, ITenantScoped;

public sealed record SessionState(Guid SessionId, string Status, int? QueuePosition, SessionOperator? Operator);

public sealed class GetSessionStateHandler(ISessionRepository sessions, IAssignmentRepository assignments, IOperatorRepository operators)
    : IRequestHandler<GetSessionStateQuery, SessionState>
{
    public async Task<SessionState> Handle(GetSessionStateQuery request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        var open = await assignments.FindOpenForSessionAsync(request.TenantId, request.SessionId, cancellationToken);
        int? position = open is { Status: AssignmentStatuses.Waiting }
            ? await assignments.QueuePositionAsync(request.TenantId, open.AssignmentId, cancellationToken)
            : null;
        var op = open is { OperatorId: { } id } ? await operators.FindMembershipAsync(request.TenantId, id, cancellationToken) : null;
        return new SessionState(session.SessionId, session.Status, position, op is null ? null : new SessionOperator(op.DisplayName, op.AvatarUrl));
    }
}
