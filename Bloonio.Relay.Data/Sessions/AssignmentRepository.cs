using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

public sealed class AssignmentRepository(NpgsqlDataSource dataSource) : IAssignmentRepository
{
    public async Task<Assignment?> GetAsync(Guid tenantId, Guid assignmentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition(
            $"SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId",
            new { tenantId, assignmentId }, cancellationToken: ct)))?.ToAssignment();
    }

    public async Task<Assignment?> FindOpenForSessionAsync(Guid tenantId, Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition(
            $"SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.tenant_id = @tenantId AND a.session_id = @sessionId AND a.status <> 'closed'",
            new { tenantId, sessionId }, cancellationToken: ct)))?.ToAssignment();
    }

    public async Task<IReadOnlyList<Assignment>> ListWaitingAsync(Guid tenantId, IReadOnlyList<string>? routingKeys, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AssignmentRow>(new CommandDefinition($"""
            SELECT {SessionSql.AssignmentColumns} FROM assignments a
            WHERE a.tenant_id = @tenantId AND a.status = 'waiting' AND (@keys::text[] IS NULL OR a.routing_key = ANY(@keys))
            ORDER BY a.waiting_since, a.assignment_id
            """, new { tenantId, keys = routingKeys?.ToArray() }, cancellationToken: ct));
        return rows.Select(r => r.ToAssignment()).ToList();
    }

    public async Task<IReadOnlyList<Assignment>> ListAssignedAsync(Guid tenantId, Guid operatorId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AssignmentRow>(new CommandDefinition($"""
            SELECT {SessionSql.AssignmentColumns} FROM assignments a
            WHERE a.tenant_id = @tenantId AND a.operator_id = @operatorId AND a.status = 'assigned'
            ORDER BY a.assigned_at
            """, new { tenantId, operatorId }, cancellationToken: ct));
        return rows.Select(r => r.ToAssignment()).ToList();
    }

    public async Task<IReadOnlyList<OperatorLoad>> ListOperatorLoadAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid OperatorId, int Open, DateTime? Last)>(new CommandDefinition("""
            SELECT operator_id, (count(*) FILTER (WHERE status = 'assigned'))::int, max(assigned_at)
            FROM assignments WHERE tenant_id = @tenantId AND operator_id IS NOT NULL GROUP BY operator_id
            """, new { tenantId }, cancellationToken: ct));
        return rows.Select(r => new OperatorLoad(r.OperatorId, r.Open, r.Last is { } l ? Common.DbJson.Utc(l) : null)).ToList();
    }

    public async Task<double?> AverageWaitSecondsAsync(Guid tenantId, string? routingKey, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<double?>(new CommandDefinition("""
            SELECT avg(extract(epoch FROM assigned_at - waiting_since))::float8 FROM (
                SELECT assigned_at, waiting_since FROM assignments
                WHERE tenant_id = @tenantId AND routing_key IS NOT DISTINCT FROM @routingKey AND assigned_at IS NOT NULL
                ORDER BY assigned_at DESC LIMIT 20) recent
            """, new { tenantId, routingKey }, cancellationToken: ct));
    }

    public async Task<int?> QueuePositionAsync(Guid tenantId, Guid assignmentId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            SELECT (SELECT count(*) FROM assignments o
                    WHERE o.tenant_id = a.tenant_id AND o.status = 'waiting' AND o.routing_key IS NOT DISTINCT FROM a.routing_key
                      AND (o.waiting_since, o.assignment_id) <= (a.waiting_since, a.assignment_id))::int
            FROM assignments a WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.status = 'waiting'
            """, new { tenantId, assignmentId }, cancellationToken: ct));
    }

    public async Task<AcceptOutcome> AcceptAsync(Guid tenantId, Guid assignmentId, Guid operatorId, int maxConcurrent, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // One operator's accepts are serialised (max_concurrent is a count), different operators race freely: the
        // UPDATE … WHERE status = 'waiting' lets exactly one of them through.
        await connection.ExecuteAsync(new CommandDefinition(
            "SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))", new { key = $"operator:{operatorId}" }, tx, cancellationToken: ct));
        var open = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "SELECT count(*)::int FROM assignments WHERE operator_id = @operatorId AND status = 'assigned'", new { operatorId }, tx, cancellationToken: ct));

        var claimed = open >= maxConcurrent ? null : await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = 'assigned', operator_id = @operatorId, assigned_at = @now
            WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.status = 'waiting'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { tenantId, assignmentId, operatorId, now }, tx, cancellationToken: ct));

        if (claimed is null)
        {
            var status = await connection.ExecuteScalarAsync<string?>(new CommandDefinition(
                "SELECT status FROM assignments WHERE tenant_id = @tenantId AND assignment_id = @assignmentId",
                new { tenantId, assignmentId }, tx, cancellationToken: ct));
            return new AcceptOutcome(status switch
            {
                null => AcceptStatus.NotFound,
                "waiting" => AcceptStatus.MaxConcurrentReached,
                _ => AcceptStatus.AlreadyAssigned,
            }, null);
        }

        var assignment = claimed.ToAssignment();
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET status = 'assigned', updated_at = @now WHERE session_id = @SessionId",
            new { now, assignment.SessionId }, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentAccepted,
            new { assignment_id = assignmentId, session_id = assignment.SessionId, operator_id = operatorId, routing_key = assignment.RoutingKey }, now), ct);
        await tx.CommitAsync(ct);
        return new AcceptOutcome(AcceptStatus.Accepted, assignment);
    }

    public async Task<Assignment?> ReleaseAsync(Guid tenantId, Guid assignmentId, Guid operatorId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var released = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = 'waiting', operator_id = NULL, assigned_at = NULL
            WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.operator_id = @operatorId AND a.status = 'assigned'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { tenantId, assignmentId, operatorId }, tx, cancellationToken: ct));
        if (released is null)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET status = 'waiting', updated_at = @now WHERE session_id = @SessionId", new { now, released.SessionId }, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentReleased,
            new { assignment_id = assignmentId, session_id = released.SessionId, operator_id = operatorId, routing_key = released.RoutingKey }, now), ct);
        await tx.CommitAsync(ct);
        return released.ToAssignment();
    }

    public async Task<Assignment?> TransferAsync(Guid tenantId, Guid assignmentId, Guid operatorId, Guid? toOperatorId, string? toRoutingKey,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var moved = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET
                operator_id = @toOperatorId,
                status = CASE WHEN @toOperatorId::uuid IS NULL THEN 'waiting' ELSE 'assigned' END,
                routing_key = CASE WHEN @toOperatorId::uuid IS NULL THEN @toRoutingKey ELSE a.routing_key END,
                assigned_at = CASE WHEN @toOperatorId::uuid IS NULL THEN NULL ELSE @now END,
                waiting_since = CASE WHEN @toOperatorId::uuid IS NULL THEN @now ELSE a.waiting_since END
            WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.operator_id = @operatorId AND a.status = 'assigned'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { tenantId, assignmentId, operatorId, toOperatorId, toRoutingKey, now }, tx, cancellationToken: ct));
        if (moved is null)
        {
            return null;
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE sessions SET status = @Status, routing_key = @RoutingKey, updated_at = @now WHERE session_id = @SessionId
            """, new { now, moved.SessionId, moved.Status, moved.RoutingKey }, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentTransferred,
            new { assignment_id = assignmentId, session_id = moved.SessionId, from_operator_id = operatorId, to_operator_id = toOperatorId, routing_key = moved.RoutingKey }, now), ct);
        await tx.CommitAsync(ct);
        return moved.ToAssignment();
    }

    public async Task<(Assignment Assignment, JournalMessage Notice)?> HandBackAsync(
        Guid tenantId, Guid assignmentId, Guid operatorId, NewMessage notice, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var closed = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = 'closed', closed_at = @now, resolution = 'handed_back'
            WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.operator_id = @operatorId AND a.status = 'assigned'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { tenantId, assignmentId, operatorId, now }, tx, cancellationToken: ct));
        if (closed is null)
        {
            return null;
        }

        var seq = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            UPDATE sessions SET status = 'open', mode = 'bot', updated_at = @now, last_seq = last_seq + 1
            WHERE session_id = @SessionId RETURNING last_seq
            """, new { now, closed.SessionId }, tx, cancellationToken: ct));
        var message = await InsertNoticeAsync(connection, tx, tenantId, closed.SessionId, seq, notice, ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentClosed,
            new { assignment_id = assignmentId, session_id = closed.SessionId, operator_id = operatorId, resolution = "handed_back" }, now), ct);
        await tx.CommitAsync(ct);
        return (closed.ToAssignment(), message);
    }

    private static async Task<JournalMessage> InsertNoticeAsync(
        System.Data.IDbConnection connection, System.Data.IDbTransaction tx, Guid tenantId, Guid sessionId, int seq, NewMessage notice, CancellationToken ct)
    {
        var message = new JournalMessage(notice.MessageId, tenantId, sessionId, seq, notice.Sender, notice.Text, null, notice.CreatedAt);
        await JournalWriter.InsertAsync(connection, tx, message, ct);
        return message;
    }

    public async Task<IReadOnlyList<Assignment>> ReturnAbandonedAsync(DateTimeOffset seenBefore, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var rows = (await connection.QueryAsync<AssignmentRow>(new CommandDefinition($"""
            WITH abandoned AS (
                SELECT a.assignment_id, a.operator_id AS previous_operator FROM assignments a
                JOIN operator_memberships m ON m.tenant_id = a.tenant_id AND m.operator_id = a.operator_id
                WHERE a.status = 'assigned' AND COALESCE(m.last_connected_at, a.assigned_at) < @seenBefore AND a.assigned_at < @seenBefore
                FOR UPDATE OF a SKIP LOCKED)
            UPDATE assignments a SET status = 'waiting', operator_id = NULL, assigned_at = NULL
            FROM abandoned WHERE a.assignment_id = abandoned.assignment_id
            RETURNING {SessionSql.AssignmentColumns}, abandoned.previous_operator
            """, new { seenBefore }, tx, cancellationToken: ct))).ToList();
        foreach (var row in rows)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "UPDATE sessions SET status = 'waiting', updated_at = @now WHERE session_id = @SessionId", new { now, row.SessionId }, tx, cancellationToken: ct));
            await EventWriter.AppendAsync(connection, tx, row.TenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentReleased,
                new { assignment_id = row.AssignmentId, session_id = row.SessionId, operator_id = row.PreviousOperator, routing_key = row.RoutingKey, reason = "abandoned" }, now), ct);
        }

        await tx.CommitAsync(ct);
        return rows.Select(r => r.ToAssignment() with { OperatorId = r.PreviousOperator }).ToList();
    }

    public async Task<IReadOnlyList<Assignment>> ListOverdueAsync(DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<AssignmentRow>(new CommandDefinition($"""
            SELECT {SessionSql.AssignmentColumns} FROM assignments a JOIN tenants t ON t.tenant_id = a.tenant_id
            WHERE a.status = 'waiting' AND (t.configuration->>'max_wait_seconds') IS NOT NULL
              AND a.waiting_since < @now - make_interval(secs => (t.configuration->>'max_wait_seconds')::int)
            ORDER BY a.waiting_since LIMIT 500
            """, new { now }, cancellationToken: ct));
        return rows.Select(r => r.ToAssignment()).ToList();
    }

    public async Task<(Assignment Assignment, JournalMessage Notice)?> CloseAsync(
        Guid tenantId, Guid assignmentId, Guid operatorId, string? resolution, NewMessage notice, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var closed = await connection.QuerySingleOrDefaultAsync<AssignmentRow>(new CommandDefinition($"""
            UPDATE assignments a SET status = 'closed', closed_at = @now, resolution = @resolution
            WHERE a.tenant_id = @tenantId AND a.assignment_id = @assignmentId AND a.operator_id = @operatorId AND a.status = 'assigned'
            RETURNING {SessionSql.AssignmentColumns}
            """, new { tenantId, assignmentId, operatorId, resolution, now }, tx, cancellationToken: ct));
        if (closed is null)
        {
            return null;
        }

        var seq = await connection.ExecuteScalarAsync<int>(new CommandDefinition("""
            UPDATE sessions SET status = 'closed', closed_at = @now, updated_at = @now, last_seq = last_seq + 1
            WHERE session_id = @SessionId RETURNING last_seq
            """, new { now, closed.SessionId }, tx, cancellationToken: ct));
        var message = await InsertNoticeAsync(connection, tx, tenantId, closed.SessionId, seq, notice, ct);
        var data = new { assignment_id = assignmentId, session_id = closed.SessionId, operator_id = operatorId, resolution };
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.AssignmentClosed, data, now), ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionClosed,
            new { session_id = closed.SessionId, reason = "closed_by_operator" }, now), ct);
        await tx.CommitAsync(ct);
        return (closed.ToAssignment(), message);
    }
}
