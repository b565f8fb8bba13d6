using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record ReleaseAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId) : IRequest<Assignment>, ITenantScoped;

/// <summary>The operator gives the conversation back to its queue (WAITING again, offered anew, keeping its place).</summary>
public sealed class ReleaseAssignmentHandler(OperatorAccess access, ISessionTransitions transitions, QueueNotifications queue, TimeProvider clock)
    : IRequestHandler<ReleaseAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(ReleaseAssignmentCommand request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var released = (await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.Release, clock.GetUtcNow(),
            AssignmentId: request.AssignmentId, OperatorId: request.OperatorId), cancellationToken))!.After!;
        await queue.WaitingAsync(released, cancellationToken);
        return released;
    }
}
