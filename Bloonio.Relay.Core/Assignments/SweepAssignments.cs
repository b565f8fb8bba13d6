using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>
/// The periodic sweep (SPEC 7), safe on several nodes at once: assignments of operators unseen for
/// AbandonAfterSeconds return to WAITING (<c>abandoned</c>), and WAITING assignments older than the tenant's
/// max_wait_seconds close with <c>timeout</c> once a ticket exists, so the tenant can follow up; the journal of sessions
/// closed longer ago than JournalRetentionDays is deleted, and the text of older message events and webhook bodies
/// (the brain is the system of record). The node runs it under the cluster's sweep lease: one node per interval.
/// </summary>
/// <param name="Retention">Whether this pass also applies retention (days-scale work: the node does it every
/// Relay:RetentionIntervalSeconds, not with every 15-second sweep).</param>
public sealed record SweepAssignmentsCommand(bool Retention = true) : IRequest<SweepResult>;

public sealed record SweepResult(int Abandoned, int TimedOut, RetentionResult? Purged = null)
{
    /// <summary>Another node holds the sweep's lease: it does this pass.</summary>
    public static readonly SweepResult Skipped = new(0, 0);
}

public sealed class SweepAssignmentsHandler(
    IAssignmentRepository assignments, ISessionRepository sessions, ISessionTransitions transitions, IBrain brain, QueueNotifications queue,
    IRelayNotifier notifier, IRetentionStore retention, Attachments.AttachmentRetention attachmentRetention, TimeProvider clock,
    IOptions<RelayCoreOptions> options, ILogger<SweepAssignmentsHandler> logger)
    : IRequestHandler<SweepAssignmentsCommand, SweepResult>
{
    public async Task<SweepResult> Handle(SweepAssignmentsCommand request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var seenBefore = now - options.Value.AbandonAfter;
        var abandoned = 0;
        // Candidates are read without locks, both kinds at once; each one is decided again under its session's lock (a
        // reconnect, a release or a close meanwhile makes it nothing to do), one session per transaction.
        var candidates = await assignments.ListSweepCandidatesAsync(seenBefore, now, cancellationToken);
        foreach (var candidate in candidates.Abandoned)
        {
            var returned = await transitions.RunAsync(new TransitionCommand(candidate.TenantId, SessionTrigger.Abandon, now,
                candidate.SessionId, candidate.AssignmentId, candidate.OperatorId, Cutoff: seenBefore), cancellationToken);
            if (returned is not null)
            {
                abandoned++;
                await notifier.AssignmentRemovedAsync(returned.Before!, "abandoned", cancellationToken);
                await queue.WaitingAsync(returned.After!, cancellationToken);
            }
        }

        var timedOut = 0;
        foreach (var overdue in candidates.Overdue)
        {
            var ticket = await EnsureTicketAsync(overdue, cancellationToken);
            var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System),
                "No one could answer in time. We have your request" + (ticket is { } t ? $" (ticket {t})" : "") + " and will follow up.", null, now);
            var closed = await transitions.RunAsync(new TransitionCommand(overdue.TenantId, SessionTrigger.Timeout, now, overdue.SessionId,
                overdue.AssignmentId, Reason: CloseSessionHandler.TimeoutReason, Notice: notice, Cutoff: overdue.WaitingSince.AddTicks(1)), cancellationToken);
            if (closed is not null)
            {
                timedOut++;
                await notifier.ClosedAsync(closed, queue, cancellationToken);
            }
        }

        if (!request.Retention)
        {
            return new SweepResult(abandoned, timedOut);
        }

        var purged = await retention.PurgeAsync(now - options.Value.JournalRetention, cancellationToken);
        await attachmentRetention.PurgeAsync(now - options.Value.JournalRetention, cancellationToken);
        return new SweepResult(abandoned, timedOut, purged);
    }

    private async Task<string?> EnsureTicketAsync(Assignment assignment, CancellationToken ct)
    {
        var session = await sessions.GetAsync(assignment.TenantId, assignment.SessionId, ct);
        if (session is null || session.TicketId is not null)
        {
            return session?.TicketId;
        }

        try
        {
            var ticket = await brain.CreateTicketAsync(new TicketRequest(assignment.TenantId, assignment.SessionId, "no operator answered in time",
                assignment.RoutingKey, new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), []), ct);
            return await sessions.SetTicketAsync(assignment.TenantId, assignment.SessionId, ticket, clock.GetUtcNow(), ct)
                ? ticket
                : (await sessions.GetAsync(assignment.TenantId, assignment.SessionId, ct))?.TicketId; // another node made one meanwhile
        }
        catch (BrainUnavailableException ex)
        {
            logger.LogWarning(ex, "No ticket for timed-out session {SessionId}; closing it anyway", assignment.SessionId);
            return null;
        }
    }
}
