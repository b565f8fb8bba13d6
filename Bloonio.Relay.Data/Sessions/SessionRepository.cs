using System.Data;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

public sealed class SessionRepository(NpgsqlDataSource dataSource) : ISessionRepository
{
    public async Task CreateAsync(Session s, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sessions (session_id, tenant_id, visitor_id, external_user_id, mode, status, routing_key, visitor_display_name,
                                  visitor_email, metadata, resume_token_hash, created_at, updated_at)
            VALUES (@SessionId, @TenantId, @VisitorId, @ExternalUserId, @Mode, @Status, @RoutingKey, @VisitorDisplayName,
                    @VisitorEmail, @metadataJson::jsonb, @resumeTokenHash, @CreatedAt, @CreatedAt)
            """,
            new
            {
                s.SessionId, s.TenantId, s.VisitorId, s.ExternalUserId, s.Mode, s.Status, s.RoutingKey, s.VisitorDisplayName,
                s.VisitorEmail, metadataJson, resumeTokenHash, s.CreatedAt,
            },
            tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, s.TenantId, created, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<Session?> FindOpenForUserAsync(Guid tenantId, string externalUserId, string? routingKey, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition($"""
            SELECT {SessionSql.SessionColumns} FROM sessions s
            WHERE s.tenant_id = @tenantId AND s.external_user_id = @externalUserId AND COALESCE(s.routing_key, '') = COALESCE(@routingKey, '')
              AND s.status <> 'closed'
            """, new { tenantId, externalUserId, routingKey }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<bool> TryCreateForUserAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct)
    {
        try
        {
            await CreateAsync(session, resumeTokenHash, metadataJson, created, ct);
            return true;
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "sessions_one_open_per_user" })
        {
            return false;
        }
    }

    public async Task<int> PurgeJournalAsync(DateTimeOffset closedBefore, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM messages m USING sessions s
            WHERE m.session_id = s.session_id AND s.status = 'closed' AND s.closed_at < @closedBefore
            """, new { closedBefore }, cancellationToken: ct));
    }

    public async Task SetTicketAsync(Guid tenantId, Guid sessionId, string ticketId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET ticket_id = @ticketId WHERE tenant_id = @tenantId AND session_id = @sessionId AND ticket_id IS NULL",
            new { tenantId, sessionId, ticketId }, cancellationToken: ct));
    }

    public async Task RotateResumeTokenAsync(Guid tenantId, Guid sessionId, byte[] resumeTokenHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET resume_token_hash = @resumeTokenHash WHERE tenant_id = @tenantId AND session_id = @sessionId",
            new { tenantId, sessionId, resumeTokenHash }, cancellationToken: ct));
    }

    public async Task<Session?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionSql.SessionColumns} FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId",
            new { tenantId, sessionId }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<Session?> FindOpenByResumeTokenAsync(Guid tenantId, byte[] resumeTokenHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition($"""
            SELECT {SessionSql.SessionColumns} FROM sessions s
            WHERE s.tenant_id = @tenantId AND s.resume_token_hash = @resumeTokenHash AND s.status <> 'closed'
            """, new { tenantId, resumeTokenHash }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<AppendOutcome> AppendAsync(Guid tenantId, Guid sessionId, NewMessage message, bool queueIfHuman, CancellationToken ct,
        int? monthlyLimit = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // The session row's lock serialises appends to one session: seq has no gaps, and a repeated
        // client_message_id finds the first message.
        var session = (await connection.QuerySingleAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionSql.SessionColumns} FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId FOR UPDATE",
            new { tenantId, sessionId }, tx, cancellationToken: ct))).ToSession();

        if (message.ClientMessageId is not null
            && await connection.QuerySingleOrDefaultAsync<MessageRow>(new CommandDefinition(
                $"SELECT {SessionSql.MessageColumns} FROM messages m WHERE m.session_id = @sessionId AND m.client_message_id = @ClientMessageId",
                new { sessionId, message.ClientMessageId }, tx, cancellationToken: ct)) is { } existing)
        {
            return new AppendOutcome(existing.ToMessage(), Duplicate: true, null);
        }

        var stored = new JournalMessage(message.MessageId, tenantId, sessionId, session.LastSeq + 1, message.Sender, message.Text,
            message.ClientMessageId, message.CreatedAt);
        if (message.Sender.Type != SenderTypes.System && !await CountForMonthAsync(connection, tx, tenantId, message.CreatedAt, monthlyLimit, ct))
        {
            return new AppendOutcome(stored, Duplicate: false, null, QuotaExceeded: true);
        }

        await JournalWriter.InsertAsync(connection, tx, stored, ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET last_seq = @Seq, updated_at = @CreatedAt WHERE session_id = @SessionId", stored, tx, cancellationToken: ct));

        Assignment? queued = null;
        if (queueIfHuman && session is { Mode: SessionModes.Human, Status: SessionStatuses.Open })
        {
            queued = await QueueAsync(connection, tx, session, message.CreatedAt, ct);
        }

        await tx.CommitAsync(ct);
        return new AppendOutcome(stored, Duplicate: false, queued);
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

    /// <summary>The session goes to WAITING with a new assignment in its routing key's queue.</summary>
    internal static async Task<Assignment> QueueAsync(IDbConnection connection, IDbTransaction tx, Session session, DateTimeOffset now, CancellationToken ct)
    {
        var assignment = new Assignment(Guid.CreateVersion7(now), session.TenantId, session.SessionId, session.RoutingKey,
            AssignmentStatuses.Waiting, null, now, null, now);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO assignments (assignment_id, tenant_id, session_id, routing_key, status, waiting_since, created_at)
            VALUES (@AssignmentId, @TenantId, @SessionId, @RoutingKey, 'waiting', @WaitingSince, @CreatedAt);
            UPDATE sessions SET status = 'waiting', updated_at = @CreatedAt WHERE session_id = @SessionId;
            """, assignment, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, session.TenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentWaiting,
            new { assignment_id = assignment.AssignmentId, session_id = session.SessionId, routing_key = session.RoutingKey }, now), ct);
        return assignment;
    }

    public async Task<(Assignment Assignment, JournalMessage Notice)?> EscalateAsync(
        Guid tenantId, Guid sessionId, string? ticketId, string? routingKey, string reason, NewMessage notice, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var session = (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition($"""
            UPDATE sessions s SET ticket_id = COALESCE(@ticketId, s.ticket_id), routing_key = @routingKey, escalated_at = @CreatedAt,
                                  last_seq = s.last_seq + 1, updated_at = @CreatedAt
            WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId AND s.status = 'open'
            RETURNING {SessionSql.SessionColumns}
            """, new { tenantId, sessionId, ticketId, routingKey, notice.CreatedAt }, tx, cancellationToken: ct)))?.ToSession();
        if (session is null)
        {
            return null;
        }

        var stored = new JournalMessage(notice.MessageId, tenantId, sessionId, session.LastSeq, notice.Sender, notice.Text, null, notice.CreatedAt);
        await JournalWriter.InsertAsync(connection, tx, stored, ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(notice.CreatedAt), EventTypes.SessionEscalated,
            new { session_id = sessionId, ticket_id = session.TicketId, reason, routing_key = routingKey }, notice.CreatedAt), ct);
        var assignment = await QueueAsync(connection, tx, session, notice.CreatedAt, ct);
        await tx.CommitAsync(ct);
        return (assignment, stored);
    }

    public async Task<(Assignment? Assignment, JournalMessage Notice)?> CloseAsync(
        Guid tenantId, Guid sessionId, string reason, NewMessage notice, CancellationToken ct)
    {
        var now = notice.CreatedAt;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var seq = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            UPDATE sessions SET status = 'closed', closed_at = @now, updated_at = @now, last_seq = last_seq + 1
            WHERE tenant_id = @tenantId AND session_id = @sessionId AND status <> 'closed' RETURNING last_seq
            """, new { tenantId, sessionId, now }, tx, cancellationToken: ct));
        if (seq is null)
        {
            return null;
        }

        var closed = (await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = 'closed', closed_at = @now, resolution = @reason
            WHERE a.session_id = @sessionId AND a.status <> 'closed'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { sessionId, now, reason }, tx, cancellationToken: ct)))?.ToAssignment();
        var stored = new JournalMessage(notice.MessageId, tenantId, sessionId, seq.Value, notice.Sender, notice.Text, null, now);
        await JournalWriter.InsertAsync(connection, tx, stored, ct);
        if (closed is not null)
        {
            await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentClosed,
                new { assignment_id = closed.AssignmentId, session_id = sessionId, operator_id = closed.OperatorId, resolution = reason }, now), ct);
        }

        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionClosed,
            new { session_id = sessionId, reason }, now), ct);
        await tx.CommitAsync(ct);
        return (closed, stored);
    }

    public async Task<IReadOnlyList<JournalMessage>> ListMessagesAsync(Guid tenantId, Guid sessionId, int afterSeq, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition($"""
            SELECT {SessionSql.MessageColumns} FROM messages m
            WHERE m.tenant_id = @tenantId AND m.session_id = @sessionId AND m.seq > @afterSeq
            ORDER BY m.seq LIMIT @limit
            """, new { tenantId, sessionId, afterSeq, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToMessage()).ToList();
    }
}
