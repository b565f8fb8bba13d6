using System.Data;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

/// <summary>
/// Carries out the state machine's decisions, each in one transaction, with one lock order: the session row, its open
/// assignment, the holder's count (a per-operator transaction lock), then the tenant's rows. What to do is asked of
/// <see cref="SessionStateMachine"/> with the snapshot read under those locks; this class only reads and writes.
/// </summary>
public sealed class SessionTransitionStore(NpgsqlDataSource dataSource) : ISessionTransitions
{
    public Task<TransitionOutcome?> RunAsync(TransitionCommand command, CancellationToken ct) => DbConflicts.RetryAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var sessionId = command.SessionId ?? await SessionOfAsync(connection, command.TenantId, command.AssignmentId!.Value, ct)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "Assignment not found");
        await using var tx = await connection.BeginTransactionAsync(ct);
        var snapshot = await LockAsync(connection, tx, command.TenantId, sessionId, ct)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        if (command.Trigger == SessionTrigger.Abandon && snapshot.Assignment?.OperatorId is { } assignee)
        {
            snapshot = snapshot with { AssigneeLastSeen = await LastSeenAsync(connection, tx, command.TenantId, assignee, ct) };
        }

        if (command.Holder is { } holder)
        {
            snapshot = snapshot with { TargetOpenAssignments = await CountHeldAsync(connection, tx, command.TenantId, holder, ct) };
        }

        if (SessionStateMachine.Decide(snapshot, command) is not { } transition)
        {
            return null;
        }

        var outcome = await CarryOutAsync(connection, tx, snapshot, transition, command, ct);
        await tx.CommitAsync(ct);
        return outcome;
    });

    public Task<AppendOutcome> AppendAsync(Guid tenantId, Guid sessionId, NewMessage message, Author author, Guid? authorId, int? monthlyLimit,
        CancellationToken ct) => DbConflicts.RetryAsync(async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var snapshot = await LockAsync(connection, tx, tenantId, sessionId, ct)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        var assignee = snapshot.Assignment is { Status: AssignmentStatuses.Assigned } open ? open.OperatorId : null;

        // A retry finds the first message even after the session moved on: what was acknowledged stays acknowledged.
        if (message.ClientMessageId is not null
            && await connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(
                $"SELECT {SessionSql.MessageColumns} FROM messages m WHERE m.session_id = @sessionId AND m.client_message_id = @ClientMessageId",
                new { sessionId, message.ClientMessageId }, tx, cancellationToken: ct)) is { } existing)
        {
            return new AppendOutcome(existing.ToMessage(), Duplicate: true, assignee);
        }

        var decision = SessionStateMachine.Append(snapshot, author, authorId);
        var stored = new JournalMessage(message.MessageId, tenantId, sessionId, snapshot.Session.LastSeq + 1, message.Sender, message.Text,
            message.ClientMessageId, message.CreatedAt);
        if (message.Sender.Type != SenderTypes.System && !await CountForMonthAsync(connection, tx, tenantId, message.CreatedAt, monthlyLimit, ct))
        {
            return new AppendOutcome(stored, Duplicate: false, QuotaExceeded: true);
        }

        await JournalWriter.InsertAsync(connection, tx, stored, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET last_seq = @Seq, updated_at = @CreatedAt WHERE session_id = @SessionId", stored, tx, cancellationToken: ct));

        Assignment? queued = null;
        if (decision.Queue is { } queue)
        {
            var command = new TransitionCommand(tenantId, SessionTrigger.HumanMessage, message.CreatedAt, sessionId);
            queued = (await CarryOutAsync(connection, tx, snapshot, queue, command, ct)).After;
        }

        await tx.CommitAsync(ct);
        return new AppendOutcome(stored, Duplicate: false, decision.Assignee, decision.ToBot, queued);
    });

    private static async Task<Guid?> SessionOfAsync(NpgsqlConnection connection, Guid tenantId, Guid assignmentId, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "SELECT session_id FROM assignments WHERE tenant_id = @tenantId AND assignment_id = @assignmentId",
            new { tenantId, assignmentId }, cancellationToken: ct));

    /// <summary>The session row, then its open assignment, both locked until the transaction ends.</summary>
    private static async Task<SessionSnapshot?> LockAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid sessionId, CancellationToken ct)
    {
        var session = await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionSql.SessionColumns} FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId FOR UPDATE",
            new { tenantId, sessionId }, tx, cancellationToken: ct));
        if (session is null)
        {
            return null;
        }

        var assignment = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition(
            $"SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.session_id = @sessionId AND a.status <> 'closed' FOR UPDATE",
            new { sessionId }, tx, cancellationToken: ct));
        return new SessionSnapshot(session.ToSession(), assignment?.ToAssignment());
    }

    private static async Task<DateTimeOffset?> LastSeenAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid operatorId,
        CancellationToken ct) =>
        await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT last_connected_at FROM operator_memberships WHERE tenant_id = @tenantId AND operator_id = @operatorId",
            new { tenantId, operatorId }, tx, cancellationToken: ct)) is { } seen ? DbJson.Utc(seen) : null;

    /// <summary>
    /// How many assignments the operator holds in this tenant, counted under a transaction lock of that operator's, so
    /// two claims for the same operator (on any nodes) count one after the other and max_concurrent is never passed.
    /// </summary>
    private static async Task<int> CountHeldAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, Guid operatorId, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = $"holder:{tenantId}:{operatorId}" }, tx, cancellationToken: ct));
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM assignments WHERE tenant_id = @tenantId AND operator_id = @operatorId AND status = 'assigned'",
            new { tenantId, operatorId }, tx, cancellationToken: ct));
    }

    /// <summary>Writes what the table row says: the session, its assignment, the notice, the events.</summary>
    private static async Task<TransitionOutcome> CarryOutAsync(IDbConnection connection, IDbTransaction tx, SessionSnapshot snapshot,
        Transition transition, TransitionCommand command, CancellationToken ct)
    {
        var (before, now) = (snapshot.Assignment, command.Now);
        var routingKey = command.Trigger switch
        {
            SessionTrigger.Escalate => command.RoutingKey ?? snapshot.Session.RoutingKey,
            SessionTrigger.TransferToQueue => command.RoutingKey,
            _ => snapshot.Session.RoutingKey,
        };
        var session = (await connection.QuerySingleAsync<SessionRow>(new CommandDefinition($"""
            UPDATE sessions s SET status = @To, mode = CASE WHEN @handBack THEN 'bot' ELSE s.mode END, routing_key = @routingKey,
                ticket_id = COALESCE(@TicketId, s.ticket_id), escalated_at = CASE WHEN @escalate THEN @now ELSE s.escalated_at END,
                closed_at = CASE WHEN @To = 'closed' THEN @now END, last_seq = s.last_seq + CASE WHEN @Notice THEN 1 ELSE 0 END, updated_at = @now
            WHERE s.session_id = @SessionId
            RETURNING {SessionSql.SessionColumns}
            """,
            new
            {
                transition.To, transition.Notice, snapshot.Session.SessionId, routingKey, command.TicketId, now,
                handBack = transition.Trigger == SessionTrigger.HandBack, escalate = transition.Trigger == SessionTrigger.Escalate,
            }, tx, cancellationToken: ct))).ToSession();

        var after = transition switch
        {
            { AssignmentFrom: null, AssignmentTo: null } => null,
            { AssignmentFrom: null } => await InsertWaitingAsync(connection, tx, session, now, ct),
            _ => await UpdateAssignmentAsync(connection, tx, before!, transition, command, ct),
        };

        JournalMessage? notice = null;
        if (transition.Notice)
        {
            var n = command.Notice ?? throw new InvalidOperationException($"{transition.Trigger} writes a notice; none was given");
            notice = new JournalMessage(n.MessageId, session.TenantId, session.SessionId, session.LastSeq, n.Sender, n.Text, null, n.CreatedAt);
            await JournalWriter.InsertAsync(connection, tx, notice, ct);
        }

        var outcome = new TransitionOutcome(transition, session, before, after, notice);
        foreach (var e in SessionStateMachine.Events(outcome, command, () => Guid.CreateVersion7(now)))
        {
            await EventWriter.AppendAsync(connection, tx, session.TenantId, e, ct);
        }

        return outcome;
    }

    private static async Task<Assignment> InsertWaitingAsync(IDbConnection connection, IDbTransaction tx, Session session, DateTimeOffset now,
        CancellationToken ct)
    {
        var assignment = new Assignment(Guid.CreateVersion7(now), session.TenantId, session.SessionId, session.RoutingKey,
            AssignmentStatuses.Waiting, null, now, null, now);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO assignments (assignment_id, tenant_id, session_id, routing_key, status, waiting_since, created_at)
            VALUES (@AssignmentId, @TenantId, @SessionId, @RoutingKey, 'waiting', @WaitingSince, @CreatedAt)
            """, assignment, tx, cancellationToken: ct));
        return assignment;
    }

    private static async Task<Assignment> UpdateAssignmentAsync(IDbConnection connection, IDbTransaction tx, Assignment before,
        Transition transition, TransitionCommand command, CancellationToken ct)
    {
        var to = transition.AssignmentTo!;
        var toQueue = command.Trigger == SessionTrigger.TransferToQueue;
        return (await connection.QuerySingleAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = @to,
                operator_id = CASE @to WHEN 'assigned' THEN @holder WHEN 'waiting' THEN NULL ELSE a.operator_id END,
                assigned_at = CASE @to WHEN 'assigned' THEN @now WHEN 'waiting' THEN NULL ELSE a.assigned_at END,
                routing_key = CASE WHEN @toQueue THEN @RoutingKey ELSE a.routing_key END,
                waiting_since = CASE WHEN @toQueue THEN @now ELSE a.waiting_since END,
                closed_at = CASE @to WHEN 'closed' THEN @now END,
                resolution = CASE @to WHEN 'closed' THEN @resolution ELSE a.resolution END
            WHERE a.assignment_id = @AssignmentId
            RETURNING {SessionSql.AssignmentColumns}
            """,
            new
            {
                to, holder = command.Holder, now = command.Now, toQueue, command.RoutingKey, before.AssignmentId,
                resolution = SessionStateMachine.Resolution(command),
            }, tx, cancellationToken: ct))).ToAssignment();
    }

    /// <summary>Adds one to the tenant's month; false (nothing counted) when the limit is already reached.</summary>
    private static async Task<bool> CountForMonthAsync(
        IDbConnection connection, IDbTransaction tx, Guid tenantId, DateTimeOffset at, int? limit, CancellationToken ct)
    {
        var month = new DateTime(at.UtcDateTime.Year, at.UtcDateTime.Month, 1, 0, 0, 0, DateTimeKind.Utc);
        var count = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            INSERT INTO tenant_monthly_messages (tenant_id, month, messages) VALUES (@tenantId, @month::date, 1)
            ON CONFLICT (tenant_id, month) DO UPDATE SET messages = tenant_monthly_messages.messages + 1
            WHERE @limit::int IS NULL OR tenant_monthly_messages.messages < @limit
            RETURNING messages
            """, new { tenantId, month, limit }, tx, cancellationToken: ct));
        if (count is null)
        {
            return false;
        }

        if (limit is { } max && (count == max || count == (int)Math.Ceiling(max * 0.8)))
        {
            var type = count == max ? EventTypes.QuotaExceeded : EventTypes.QuotaWarning;
            await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(at), type,
                new { quota = "messages_per_month", limit = max, used = count, period = month.ToString("yyyy-MM") }, at), ct);
        }

        return true;
    }
}
