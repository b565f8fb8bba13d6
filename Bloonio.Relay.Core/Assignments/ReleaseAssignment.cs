using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record ReleaseAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId) : IRequest<Assignment>, ITenantScoped;

/// <summary>The operator gives the conversation back to its queue (WAITING again, offered anew).</summary>
public sealed class ReleaseAssignmentHandler(OperatorAccess access, IAssignmentRepository assignments, QueueNotifications queue, TimeProvider clock)
    : IRequestHandler<ReleaseAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(ReleaseAssignmentCommand request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var released = await assignments.ReleaseAsync(request.TenantId, request.AssignmentId, request.OperatorId, clock.GetUtcNow(), cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "No open assignment of yours with this id");
        await queue.WaitingAsync(released, cancellationToken);
        return released;
    }
}
