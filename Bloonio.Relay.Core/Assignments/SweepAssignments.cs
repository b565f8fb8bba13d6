using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Sessions;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>
/// The periodic sweep (SPEC 7), safe on several nodes at once: assignments of operators unseen for
/// AbandonAfterSeconds return to WAITING (<c>abandoned</c>), and WAITING assignments older than the tenant's
/// max_wait_seconds close with <c>timeout</c> once a ticket exists, so the tenant can follow up; the journal of sessions
/// closed longer ago than JournalRetentionDays is deleted (the brain is the system of record).
/// </summary>
public sealed record SweepAssignmentsCommand : IRequest<SweepResult>;

public sealed record SweepResult(int Abandoned, int TimedOut, int PurgedMessages = 0);

public sealed class SweepAssignmentsHandler(
    IAssignmentRepository assignments, ISessionRepository sessions, IBrain brain, QueueNotifications queue, IRelayNotifier notifier,
    IMediator mediator, TimeProvider clock, IOptions<RelayCoreOptions> options, ILogger<SweepAssignmentsHandler> logger)
    : IRequestHandler<SweepAssignmentsCommand, SweepResult>
{
    public async Task<SweepResult> Handle(SweepAssignmentsCommand request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var abandoned = await assignments.ReturnAbandonedAsync(now - options.Value.AbandonAfter, now, cancellationToken);
        foreach (var assignment in abandoned)
        {
            await notifier.AssignmentRemovedAsync(assignment, "abandoned", cancellationToken);
            await queue.WaitingAsync(assignment with { OperatorId = null, Status = AssignmentStatuses.Waiting }, cancellationToken);
        }

        var overdue = await assignments.ListOverdueAsync(now, cancellationToken);
        foreach (var assignment in overdue)
        {
            await EnsureTicketAsync(assignment, cancellationToken);
            await mediator.Send(new CloseSessionCommand(assignment.TenantId, assignment.SessionId, null, CloseSessionHandler.TimeoutReason), cancellationToken);
        }

        var purged = await sessions.PurgeJournalAsync(now - options.Value.JournalRetention, cancellationToken);
        return new SweepResult(abandoned.Count, overdue.Count, purged);
    }

    private async Task EnsureTicketAsync(Assignment assignment, CancellationToken ct)
    {
        var session = await sessions.GetAsync(assignment.TenantId, assignment.SessionId, ct);
        if (session is null || session.TicketId is not null)
        {
            return;
        }

        try
        {
            var ticket = await brain.CreateTicketAsync(new TicketRequest(assignment.TenantId, assignment.SessionId, "no operator answered in time",
                assignment.RoutingKey, new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), []), ct);
            await sessions.SetTicketAsync(assignment.TenantId, assignment.SessionId, ticket, ct);
        }
        catch (BrainUnavailableException ex)
        {
            logger.LogWarning(ex, "No ticket for timed-out session {SessionId}; closing it anyway", assignment.SessionId);
        }
    }
}
