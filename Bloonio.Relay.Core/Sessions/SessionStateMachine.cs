using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>What moves a session and its assignment.</summary>
public enum SessionTrigger
{
    HumanMessage,
    Escalate,
    Accept,
    Release,
    Abandon,
    TransferToQueue,
    TransferToOperator,
    HandBack,
    OperatorClose,
    Close,
    Timeout,
}

/// <summary>
/// One row of the table: from a session status (and its assignment's), a trigger leads to a new status; whether a system
/// notice goes into the journal and which events are written, all in one transaction.
/// </summary>
/// <param name="AssignmentFrom">The open assignment's status before (null: none).</param>
/// <param name="AssignmentTo">Its status after (null: none; a new one is created when <paramref name="AssignmentFrom"/> is null).</param>
public sealed record Transition(
    SessionTrigger Trigger, string From, string To, string? AssignmentFrom, string? AssignmentTo, bool Notice, IReadOnlyList<string> Events,
    string Who);

/// <summary>The session and its open assignment as read under the session's row lock, in the transaction that acts.</summary>
/// <param name="AssigneeLastSeen">For <see cref="SessionTrigger.Abandon"/>: when the assignee was last connected.</param>
/// <param name="TargetOpenAssignments">For a trigger that gives the assignment to an operator: how many that operator holds in the tenant.</param>
public sealed record SessionSnapshot(Session Session, Assignment? Assignment, DateTimeOffset? AssigneeLastSeen = null, int TargetOpenAssignments = 0);

/// <summary>
/// What a caller asks for. <paramref name="OperatorId"/> is the acting operator (for Abandon, the one who left);
/// <paramref name="Capacity"/> and <paramref name="ServedRoutingKeys"/> describe the operator who would hold the
/// assignment (the acting one for Accept, the target for TransferToOperator): its max_concurrent and its queues.
/// </summary>
public sealed record TransitionCommand(
    Guid TenantId,
    SessionTrigger Trigger,
    DateTimeOffset Now,
    Guid? SessionId = null,
    Guid? AssignmentId = null,
    Guid? OperatorId = null,
    Guid? ToOperatorId = null,
    string? RoutingKey = null,
    string? TicketId = null,
    string? Reason = null,
    NewMessage? Notice = null,
    int Capacity = 0,
    IReadOnlyList<string>? ServedRoutingKeys = null,
    bool ServesEveryQueue = false,
    DateTimeOffset? Cutoff = null)
{
    /// <summary>The operator who holds the assignment after the transition, if it is given to one.</summary>
    public Guid? Holder => Trigger switch
    {
        SessionTrigger.Accept => OperatorId,
        SessionTrigger.TransferToOperator => ToOperatorId,
        _ => null,
    };
}

/// <summary>What a transition did: the session after it, the open assignment before and after, the notice written.</summary>
public sealed record TransitionOutcome(Transition Transition, Session Session, Assignment? Before, Assignment? After, JournalMessage? Notice);

/// <summary>Who appends to the journal, for the rules of <see cref="SessionStateMachine.Append"/>.</summary>
public enum Author
{
    Visitor,
    Operator,
    Backend,
    BotLane,
}

/// <summary>Whether a message may be appended now, and what it sets off.</summary>
/// <param name="Assignee">The operator who gets the message live (the session's assignee, read under the lock).</param>
/// <param name="Queue">The human-mode first message: the HumanMessage transition runs in the same transaction.</param>
/// <param name="ToBot">The bot lane answers it (a visitor message in an open bot session).</param>
public sealed record AppendDecision(Guid? Assignee, Transition? Queue, bool ToBot);

/// <summary>
/// The one home of the session and assignment state machine (docs/state-machine.md is checked against
/// <see cref="Table"/> by a test). Repositories read a <see cref="SessionSnapshot"/> under the session's row lock,
/// ask <see cref="Decide"/>, and carry out the row it returns in the same transaction; they decide nothing.
/// </summary>
public static class SessionStateMachine
{
    private static readonly string[] Closing = [EventTypes.AssignmentClosed, EventTypes.SessionClosed];

    public static readonly IReadOnlyList<Transition> Table =
    [
        new(SessionTrigger.HumanMessage, SessionStatuses.Open, SessionStatuses.Waiting, null, AssignmentStatuses.Waiting, false,
            [EventTypes.AssignmentWaiting], "the visitor's first message in mode human"),
        new(SessionTrigger.Escalate, SessionStatuses.Open, SessionStatuses.Waiting, null, AssignmentStatuses.Waiting, true,
            [EventTypes.SessionEscalated, EventTypes.AssignmentWaiting], "RequestHuman, the brain, the backend's escalate, the brain down"),
        new(SessionTrigger.Accept, SessionStatuses.Waiting, SessionStatuses.Assigned, AssignmentStatuses.Waiting, AssignmentStatuses.Assigned,
            false, [EventTypes.AssignmentAccepted], "an operator's Accept, auto-assign"),
        new(SessionTrigger.Release, SessionStatuses.Assigned, SessionStatuses.Waiting, AssignmentStatuses.Assigned, AssignmentStatuses.Waiting,
            false, [EventTypes.AssignmentReleased], "the assignee's Release"),
        new(SessionTrigger.Abandon, SessionStatuses.Assigned, SessionStatuses.Waiting, AssignmentStatuses.Assigned, AssignmentStatuses.Waiting,
            false, [EventTypes.AssignmentReleased], "the sweep: the assignee unseen for AbandonAfterSeconds"),
        new(SessionTrigger.TransferToQueue, SessionStatuses.Assigned, SessionStatuses.Waiting, AssignmentStatuses.Assigned,
            AssignmentStatuses.Waiting, false, [EventTypes.AssignmentTransferred], "the assignee's Transfer to a routing key"),
        new(SessionTrigger.TransferToOperator, SessionStatuses.Assigned, SessionStatuses.Assigned, AssignmentStatuses.Assigned,
            AssignmentStatuses.Assigned, false, [EventTypes.AssignmentTransferred], "the assignee's Transfer to an operator"),
        new(SessionTrigger.HandBack, SessionStatuses.Assigned, SessionStatuses.Open, AssignmentStatuses.Assigned, AssignmentStatuses.Closed,
            true, [EventTypes.AssignmentClosed], "the assignee's HandBack (the tenant has the bot)"),
        new(SessionTrigger.OperatorClose, SessionStatuses.Assigned, SessionStatuses.Closed, AssignmentStatuses.Assigned,
            AssignmentStatuses.Closed, true, Closing, "the assignee's Close"),
        new(SessionTrigger.Close, SessionStatuses.Open, SessionStatuses.Closed, null, null, true, [EventTypes.SessionClosed],
            "the visitor's Close, the backend's close"),
        new(SessionTrigger.Close, SessionStatuses.Waiting, SessionStatuses.Closed, AssignmentStatuses.Waiting, AssignmentStatuses.Closed,
            true, Closing, "the visitor's Close, the backend's close"),
        new(SessionTrigger.Close, SessionStatuses.Assigned, SessionStatuses.Closed, AssignmentStatuses.Assigned, AssignmentStatuses.Closed,
            true, Closing, "the visitor's Close, the backend's close"),
        new(SessionTrigger.Timeout, SessionStatuses.Waiting, SessionStatuses.Closed, AssignmentStatuses.Waiting, AssignmentStatuses.Closed,
            true, Closing, "the sweep: WAITING longer than max_wait_seconds"),
    ];

    /// <summary>
    /// The row for this trigger from this snapshot, or null when there is nothing to do (closing a closed session, a
    /// sweep's candidate that changed meanwhile); a domain exception when the caller may not do it now.
    /// </summary>
    public static Transition? Decide(SessionSnapshot snapshot, TransitionCommand command)
    {
        var (session, assignment) = (snapshot.Session, snapshot.Assignment);
        if (session.Status == SessionStatuses.Closed)
        {
            return command.Trigger is SessionTrigger.Close or SessionTrigger.Timeout or SessionTrigger.Abandon
                ? null
                : throw new ConflictException(ErrorCodes.SessionClosed, "The session is closed");
        }

        switch (command.Trigger)
        {
            case SessionTrigger.HumanMessage when session is not { Mode: SessionModes.Human, Status: SessionStatuses.Open }:
                return null;
            case SessionTrigger.Escalate when session.Status != SessionStatuses.Open:
                throw new ConflictException(ErrorCodes.AlreadyEscalated, "The session is already with humans");
            case SessionTrigger.Accept:
                GuardAccept(snapshot, command);
                break;
            case SessionTrigger.Abandon or SessionTrigger.Timeout:
                if (!StillDue(snapshot, command))
                {
                    return null; // the sweep's candidate moved on meanwhile
                }

                break;
            case SessionTrigger.Release or SessionTrigger.TransferToQueue or SessionTrigger.TransferToOperator or SessionTrigger.HandBack
                or SessionTrigger.OperatorClose:
                GuardAssignee(snapshot, command);
                break;
        }

        return Table.Single(t => t.Trigger == command.Trigger && t.From == session.Status);
    }

    /// <summary>Who may write in the session now, decided under its lock with the append.</summary>
    public static AppendDecision Append(SessionSnapshot snapshot, Author author, Guid? authorId)
    {
        var (session, assignment) = (snapshot.Session, snapshot.Assignment);
        if (author == Author.Visitor && session.VisitorId != authorId)
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        if (session.Status == SessionStatuses.Closed)
        {
            throw new ConflictException(ErrorCodes.SessionClosed, "The session is closed; open a new one");
        }

        var assignee = assignment is { Status: AssignmentStatuses.Assigned } ? assignment.OperatorId : null;
        switch (author)
        {
            case Author.Operator when assignee is null || assignee != authorId:
                throw new ForbiddenException(ErrorCodes.NotAssigned, "This session is not assigned to you");
            case Author.BotLane when session is not { Mode: SessionModes.Bot, Status: SessionStatuses.Open }:
                throw new ConflictException(ErrorCodes.Conflict, "The session left the bot; its reply is dropped");
        }

        var queue = author == Author.Visitor
            ? Decide(snapshot, new TransitionCommand(session.TenantId, SessionTrigger.HumanMessage, default))
            : null;
        return new AppendDecision(assignee, queue, author == Author.Visitor && session is { Mode: SessionModes.Bot, Status: SessionStatuses.Open });
    }

    /// <summary>The events a transition writes, with their data (SPEC 8's shapes).</summary>
    public static IReadOnlyList<RelayEvent> Events(TransitionOutcome outcome, TransitionCommand command, Func<Guid> newId)
    {
        var (t, s, before, after) = (outcome.Transition, outcome.Session, outcome.Before, outcome.After);
        var assignment = after ?? before;
        object Data(string type) => type switch
        {
            EventTypes.SessionEscalated => new { session_id = s.SessionId, ticket_id = s.TicketId, reason = command.Reason, routing_key = s.RoutingKey },
            EventTypes.AssignmentWaiting => new { assignment_id = assignment!.AssignmentId, session_id = s.SessionId, routing_key = assignment.RoutingKey },
            EventTypes.AssignmentAccepted => new
            {
                assignment_id = assignment!.AssignmentId, session_id = s.SessionId, operator_id = after!.OperatorId, routing_key = assignment.RoutingKey,
            },
            EventTypes.AssignmentReleased => new
            {
                assignment_id = assignment!.AssignmentId, session_id = s.SessionId, operator_id = before!.OperatorId, routing_key = assignment.RoutingKey,
                reason = t.Trigger == SessionTrigger.Abandon ? "abandoned" : "released",
            },
            EventTypes.AssignmentTransferred => new
            {
                assignment_id = assignment!.AssignmentId, session_id = s.SessionId, from_operator_id = before!.OperatorId,
                to_operator_id = after!.OperatorId, routing_key = after.RoutingKey,
            },
            EventTypes.AssignmentClosed => new
            {
                assignment_id = assignment!.AssignmentId, session_id = s.SessionId, operator_id = before!.OperatorId, resolution = Resolution(command),
            },
            EventTypes.SessionClosed => new { session_id = s.SessionId, reason = CloseReason(command) },
            _ => throw new InvalidOperationException($"No data for {type}"),
        };

        return t.Events.Select(type => new RelayEvent(newId(), type, Data(type), command.Now)).ToList();
    }

    /// <summary>The table as markdown, for docs/state-machine.md (a test keeps the two the same).</summary>
    public static string ToMarkdown()
    {
        static string Status(string? s) => s ?? "—";
        var lines = new List<string>
        {
            "| trigger | session from | session to | assignment | system notice | events | who |",
            "|---|---|---|---|---|---|---|",
        };
        lines.AddRange(Table.Select(t =>
            $"| {t.Trigger} | {t.From} | {t.To} | {Status(t.AssignmentFrom)} → {Status(t.AssignmentTo)} | {(t.Notice ? "yes" : "no")} | " +
            $"{string.Join(", ", t.Events)} | {t.Who} |"));
        return string.Join('\n', lines);
    }

    /// <summary>What a closed assignment records as its resolution.</summary>
    public static string? Resolution(TransitionCommand command) => command.Trigger switch
    {
        SessionTrigger.HandBack => "handed_back",
        SessionTrigger.Timeout => CloseSessionHandler.TimeoutReason,
        _ => command.Reason,
    };

    private static string CloseReason(TransitionCommand command) => command.Trigger switch
    {
        SessionTrigger.OperatorClose => "closed_by_operator",
        SessionTrigger.Timeout => CloseSessionHandler.TimeoutReason,
        _ => command.Reason ?? "closed",
    };

    private static void GuardAccept(SessionSnapshot snapshot, TransitionCommand command)
    {
        var assignment = snapshot.Assignment;
        if (assignment is null || assignment.AssignmentId != command.AssignmentId)
        {
            throw new ConflictException(ErrorCodes.AlreadyAssigned, "This assignment is no longer waiting");
        }

        if (assignment.Status != AssignmentStatuses.Waiting)
        {
            throw new ConflictException(ErrorCodes.AlreadyAssigned, "Another operator accepted this assignment");
        }

        GuardHolder(snapshot, command);
    }

    private static void GuardAssignee(SessionSnapshot snapshot, TransitionCommand command)
    {
        if (snapshot.Assignment is not { Status: AssignmentStatuses.Assigned } assignment
            || assignment.AssignmentId != command.AssignmentId || assignment.OperatorId != command.OperatorId)
        {
            throw new NotFoundException(ErrorCodes.AssignmentNotFound, "No open assignment of yours with this id");
        }

        if (command.Trigger == SessionTrigger.TransferToOperator)
        {
            if (command.ToOperatorId == command.OperatorId)
            {
                throw new ConflictException(ErrorCodes.Conflict, "The assignment is already yours");
            }

            GuardHolder(snapshot, command);
        }
    }

    /// <summary>The operator who would hold the assignment serves its queue and has room under max_concurrent.</summary>
    private static void GuardHolder(SessionSnapshot snapshot, TransitionCommand command)
    {
        var routingKey = snapshot.Assignment!.RoutingKey;
        if (!command.ServesEveryQueue && (routingKey is null || command.ServedRoutingKeys?.Contains(routingKey) != true))
        {
            throw new ForbiddenException(ErrorCodes.ForbiddenRoutingKey, command.Trigger == SessionTrigger.Accept
                ? "This assignment is outside your routing keys"
                : "That operator does not serve this queue");
        }

        if (snapshot.TargetOpenAssignments >= command.Capacity)
        {
            throw new ConflictException(ErrorCodes.MaxConcurrentReached, command.Trigger == SessionTrigger.Accept
                ? $"You already have {command.Capacity} open assignments"
                : $"That operator already has {command.Capacity} open assignments");
        }
    }

    private static bool StillDue(SessionSnapshot snapshot, TransitionCommand command) => command.Trigger == SessionTrigger.Abandon
        ? snapshot.Assignment is { Status: AssignmentStatuses.Assigned } a && a.AssignmentId == command.AssignmentId
            && a.OperatorId == command.OperatorId && a.AssignedAt < command.Cutoff && (snapshot.AssigneeLastSeen ?? a.AssignedAt) < command.Cutoff
        : snapshot.Assignment is { Status: AssignmentStatuses.Waiting } w && w.AssignmentId == command.AssignmentId && w.WaitingSince < command.Cutoff;
}
