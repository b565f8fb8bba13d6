using Bloonio.Relay.Core.Assignments;
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

    public async Task<(IReadOnlyList<Assignment> Abandoned, IReadOnlyList<Assignment> Overdue)> ListSweepCandidatesAsync(
        DateTimeOffset seenBefore, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var read = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {SessionSql.AssignmentColumns} FROM assignments a
            JOIN operator_memberships m ON m.tenant_id = a.tenant_id AND m.operator_id = a.operator_id
            WHERE a.status = 'assigned' AND COALESCE(m.last_connected_at, a.assigned_at) < @seenBefore AND a.assigned_at < @seenBefore
            ORDER BY a.assigned_at LIMIT 500;
            SELECT {SessionSql.AssignmentColumns} FROM assignments a JOIN tenants t ON t.tenant_id = a.tenant_id
            WHERE a.status = 'waiting' AND (t.configuration->>'max_wait_seconds') IS NOT NULL
              AND a.waiting_since < @now - make_interval(secs => (t.configuration->>'max_wait_seconds')::int)
            ORDER BY a.waiting_since LIMIT 500;
            """, new { seenBefore, now }, cancellationToken: ct));
        var abandoned = (await read.ReadAsync<AssignmentRow>()).Select(r => r.ToAssignment()).ToList();
        var overdue = (await read.ReadAsync<AssignmentRow>()).Select(r => r.ToAssignment()).ToList();
        return (abandoned, overdue);
    }
}
