using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>Tells a queue's operators about a new WAITING assignment and its visitor about its place in the queue.</summary>
public sealed class QueueNotifications(IAssignmentRepository assignments, IRelayNotifier notifier)
{
    public async Task WaitingAsync(Assignment assignment, CancellationToken ct)
    {
        await notifier.AssignmentWaitingAsync(assignment, ct);
        var position = await assignments.QueuePositionAsync(assignment.TenantId, assignment.AssignmentId, ct);
        await notifier.SessionStateAsync(assignment.TenantId, assignment.SessionId, SessionStatuses.Waiting, position, null, ct);
    }
}
