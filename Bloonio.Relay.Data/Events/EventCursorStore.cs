using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Events;

/// <summary>
/// Cursors over the gapless per-tenant event sequence. Events commit in sequence order (the counter row is locked
/// until commit), so reading "after the cursor" never skips one. Leases with SKIP LOCKED let nodes share the work.
/// </summary>
public sealed class EventCursorStore(NpgsqlDataSource dataSource) : IEventCursorStore
{
    public async Task<IReadOnlyList<CursorLease>> LeaseAsync(string consumer, int limit, DateTimeOffset now, TimeSpan leaseFor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(string Consumer, Guid TenantId, long LastSequence, int Attempts)>(new CommandDefinition("""
            INSERT INTO event_cursors (consumer, tenant_id) SELECT @consumer, tenant_id FROM tenant_event_sequences ON CONFLICT DO NOTHING;
            WITH due AS (
                SELECT c.consumer, c.tenant_id FROM event_cursors c
                JOIN tenant_event_sequences s ON s.tenant_id = c.tenant_id
                WHERE c.consumer = @consumer AND s.last_sequence > c.last_sequence
                  AND (c.leased_until IS NULL OR c.leased_until < @now)
                  AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= @now)
                ORDER BY c.next_attempt_at NULLS FIRST
                LIMIT @limit
                FOR UPDATE OF c SKIP LOCKED)
            UPDATE event_cursors c SET leased_until = @leasedUntil
            FROM due WHERE c.consumer = due.consumer AND c.tenant_id = due.tenant_id
            RETURNING c.consumer, c.tenant_id, c.last_sequence, c.attempts
            """, new { consumer, limit, now, leasedUntil = now + leaseFor }, cancellationToken: ct));
        return rows.Select(r => new CursorLease(r.Consumer, r.TenantId, r.LastSequence, r.Attempts)).ToList();
    }

    /// <summary>
    /// The next events of the tenant in sequence order. The sequence has no gap, so the next <paramref name="limit"/>
    /// events lie in (after, after + limit]: the range bounds the read whatever plan the statistics suggest (a young
    /// table's stale estimate once made this a bitmap scan and a sort of every event past the cursor).
    /// </summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAsync(Guid tenantId, long afterSequence, int limit, CancellationToken ct,
        IReadOnlySet<string>? types = null)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid EventId, Guid TenantId, long Sequence, string Type, string? Data, DateTime CreatedAt)>(new CommandDefinition("""
            SELECT e.event_id, e.tenant_id, n.sequence, e.type, CASE WHEN @all OR e.type = ANY(@types) THEN e.data::text END, e.created_at
            FROM event_numbers n JOIN events e ON e.id = n.event_row
            WHERE n.tenant_id = @tenantId AND n.sequence > @afterSequence AND n.sequence <= @afterSequence + @limit ORDER BY n.sequence LIMIT @limit
            """, new { tenantId, afterSequence, limit, all = types is null, types = types?.ToArray() ?? [] }, cancellationToken: ct));
        return rows.Select(r => new StoredEvent(r.EventId, r.TenantId, r.Sequence, r.Type, r.Data ?? "", DbJson.Utc(r.CreatedAt))).ToList();
    }

    public async Task<long> LastSequenceAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
            "SELECT last_sequence FROM tenant_event_sequences WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: ct)) ?? 0;
    }

    public async Task AdvanceAsync(CursorLease lease, long toSequence, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE event_cursors SET last_sequence = GREATEST(last_sequence, @toSequence), leased_until = NULL, attempts = 0,
                                     next_attempt_at = NULL, last_error = NULL
            WHERE consumer = @Consumer AND tenant_id = @TenantId
            """, new { toSequence, lease.Consumer, lease.TenantId }, cancellationToken: ct));
    }

    public async Task FailAsync(CursorLease lease, string error, DateTimeOffset retryAt, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE event_cursors SET leased_until = NULL, attempts = attempts + 1, next_attempt_at = @retryAt, last_error = left(@error, 500)
            WHERE consumer = @Consumer AND tenant_id = @TenantId
            """, new { retryAt, error, lease.Consumer, lease.TenantId }, cancellationToken: ct));
    }
}
