using Bloonio.Relay.Core.Webhooks;
using Bloonio.Relay.Data.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Webhooks;

public sealed class WebhookStore(NpgsqlDataSource dataSource) : IWebhookStore
{
    private const string DeliveryColumns = """
        d.delivery_id, d.event_id, d.event_type, d.url, d.status, d.attempts, d.last_status, d.last_error, d.next_attempt_at,
        d.delivered_at, d.replay_of, d.created_at
        """;

    public async Task AddAsync(IReadOnlyList<NewDelivery> deliveries, CancellationToken ct)
    {
        if (deliveries.Count == 0)
        {
            return;
        }

        // One statement for the whole batch (one transaction), and the worker woken on every node.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO webhook_deliveries (delivery_id, tenant_id, event_id, event_type, url, payload, next_attempt_at, created_at)
            SELECT id, tenant, event, type, url, payload::jsonb, at, at
            FROM unnest(@ids, @tenants, @events, @types, @urls, @payloads, @ats) AS d(id, tenant, event, type, url, payload, at)
            ON CONFLICT DO NOTHING;
            SELECT pg_notify('{Events.Notifications.Webhooks}', '');
            """,
            new
            {
                ids = deliveries.Select(d => d.DeliveryId).ToArray(), tenants = deliveries.Select(d => d.TenantId).ToArray(),
                events = deliveries.Select(d => d.EventId).ToArray(), types = deliveries.Select(d => d.EventType).ToArray(),
                urls = deliveries.Select(d => d.Url).ToArray(), payloads = deliveries.Select(d => d.PayloadJson).ToArray(),
                ats = deliveries.Select(d => d.CreatedAt).ToArray(),
            }, cancellationToken: ct));
    }

    public async Task AddReplayAsync(NewDelivery replay, Guid replayOf, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_deliveries (delivery_id, tenant_id, event_id, event_type, url, payload, next_attempt_at, created_at, replay_of)
            VALUES (@DeliveryId, @TenantId, @EventId, @EventType, @Url, @PayloadJson::jsonb, @CreatedAt, @CreatedAt, @replayOf);
            SELECT pg_notify('relay_webhooks', '');
            """, new { replay.DeliveryId, replay.TenantId, replay.EventId, replay.EventType, replay.Url, replay.PayloadJson, replay.CreatedAt, replayOf },
            cancellationToken: ct));
    }

    public async Task<IReadOnlyList<DueDelivery>> LeaseDueAsync(int limit, DateTimeOffset now, TimeSpan leaseFor, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid DeliveryId, Guid TenantId, Guid? EventId, string EventType, string Url, string Payload, int Attempts)>(
            new CommandDefinition("""
            WITH due AS (
                SELECT d.delivery_id FROM webhook_deliveries d
                LEFT JOIN webhook_endpoints e ON e.tenant_id = d.tenant_id
                WHERE d.status = 'pending' AND d.next_attempt_at <= @now AND (d.leased_until IS NULL OR d.leased_until < @now)
                  AND COALESCE(e.status, 'active') = 'active'
                ORDER BY d.next_attempt_at, d.created_at
                LIMIT @limit
                FOR UPDATE OF d SKIP LOCKED)
            UPDATE webhook_deliveries d SET leased_until = @leasedUntil FROM due WHERE d.delivery_id = due.delivery_id
            RETURNING d.delivery_id, d.tenant_id, d.event_id, d.event_type, d.url, d.payload::text, d.attempts
            """, new { limit, now, leasedUntil = now + leaseFor }, cancellationToken: ct));
        return rows.Select(r => new DueDelivery(r.DeliveryId, r.TenantId, r.EventId, r.EventType, r.Url, r.Payload, r.Attempts)).ToList();
    }

    public async Task RecordAsync(DueDelivery delivery, AttemptRecord attempt, AttemptOutcome outcome, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_attempts (attempt_id, delivery_id, attempt, status_code, latency_ms, response_excerpt, error, created_at)
            VALUES (@attemptId, @DeliveryId, @Attempt, @StatusCode, @LatencyMs, @ResponseExcerpt, @Error, @CreatedAt)
            ON CONFLICT (delivery_id, attempt) DO NOTHING;
            UPDATE webhook_deliveries SET attempts = @Attempt, status = @Status, last_status = @StatusCode, last_error = @Error,
                   next_attempt_at = COALESCE(@NextAttemptAt, next_attempt_at), leased_until = NULL,
                   delivered_at = CASE WHEN @Status = 'delivered' THEN @CreatedAt END
            WHERE delivery_id = @DeliveryId;
            """,
            new
            {
                attemptId = Guid.CreateVersion7(now), delivery.DeliveryId, attempt.Attempt, attempt.StatusCode, attempt.LatencyMs,
                attempt.ResponseExcerpt, attempt.Error, attempt.CreatedAt, outcome.Status, outcome.NextAttemptAt,
            }, tx, cancellationToken: ct));

        if (outcome.Status == DeliveryStatuses.Delivered)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES (@TenantId, (@now AT TIME ZONE 'UTC')::date, 'webhook_deliveries', 1)
                ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = usage_daily.value + 1
                """, new { delivery.TenantId, now }, tx, cancellationToken: ct));
        }

        // The endpoint's streak: reset on success; 410 disables; 100 failures spanning 24 h pause it (SPEC 8).
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_endpoints (tenant_id, updated_at) VALUES (@TenantId, @now) ON CONFLICT (tenant_id) DO NOTHING;
            UPDATE webhook_endpoints SET
                consecutive_failures = CASE WHEN @succeeded THEN 0 ELSE consecutive_failures + 1 END,
                first_failure_at = CASE WHEN @succeeded THEN NULL ELSE COALESCE(first_failure_at, @now) END,
                updated_at = @now
            WHERE tenant_id = @TenantId;
            UPDATE webhook_endpoints SET status = 'disabled', reason = @disableReason WHERE tenant_id = @TenantId AND @disableReason::text IS NOT NULL;
            UPDATE webhook_endpoints SET status = 'paused',
                   reason = consecutive_failures || ' consecutive failed deliveries since ' || to_char(first_failure_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC'
            WHERE tenant_id = @TenantId AND status = 'active' AND consecutive_failures >= @pauseAfter AND first_failure_at <= @now - @pauseSpan;
            """,
            new
            {
                delivery.TenantId, now, succeeded = outcome.EndpointSucceeded, disableReason = outcome.DisableReason,
                pauseAfter = WebhookRetryPolicy.PauseAfterFailures, pauseSpan = WebhookRetryPolicy.PauseAfterSpan,
            }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
    }

    public async Task<IReadOnlyList<DeliveryView>> ListAsync(Guid tenantId, string? status, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<DeliveryRow>(new CommandDefinition($"""
            SELECT {DeliveryColumns} FROM webhook_deliveries d
            WHERE d.tenant_id = @tenantId AND (@status::text IS NULL OR d.status = @status)
            ORDER BY d.created_at DESC, d.delivery_id DESC LIMIT @limit
            """, new { tenantId, status, limit }, cancellationToken: ct))).ToList();
        var attempts = (await connection.QueryAsync<AttemptRow>(new CommandDefinition("""
            SELECT delivery_id, attempt, status_code, latency_ms, response_excerpt, error, created_at FROM webhook_attempts
            WHERE delivery_id = ANY(@ids) ORDER BY attempt
            """, new { ids = rows.Select(r => r.DeliveryId).ToArray() }, cancellationToken: ct))).ToLookup(a => a.DeliveryId);
        return rows.Select(r => r.ToView(attempts[r.DeliveryId].Select(a => a.ToRecord()).ToList())).ToList();
    }

    public async Task<DeliveryView?> GetAsync(Guid tenantId, Guid deliveryId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<DeliveryRow>(new CommandDefinition(
            $"SELECT {DeliveryColumns}, d.payload::text AS payload FROM webhook_deliveries d WHERE d.tenant_id = @tenantId AND d.delivery_id = @deliveryId",
            new { tenantId, deliveryId }, cancellationToken: ct));
        return row is null ? null : row.ToView([]) with { Payload = row.Payload };
    }

    public async Task<EndpointState> GetEndpointAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<EndpointRow>(new CommandDefinition(
            "SELECT status, reason, consecutive_failures FROM webhook_endpoints WHERE tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        return row is null ? new EndpointState(EndpointStatuses.Active, null, 0) : new EndpointState(row.Status, row.Reason, row.ConsecutiveFailures);
    }

    public async Task SetEndpointAsync(Guid tenantId, string status, string? reason, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO webhook_endpoints (tenant_id, status, reason, updated_at) VALUES (@tenantId, @status, @reason, @now)
            ON CONFLICT (tenant_id) DO UPDATE SET status = @status, reason = @reason, consecutive_failures = 0, first_failure_at = NULL, updated_at = @now;
            SELECT pg_notify('relay_webhooks', '');
            """, new { tenantId, status, reason, now }, cancellationToken: ct));
    }

    public async Task<DateTimeOffset?> NextDueAtAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<DateTime?>(new CommandDefinition(
            "SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'pending'", cancellationToken: ct)) is { } due
            ? Common.DbJson.Utc(due)
            : null;
    }

    private sealed class DeliveryRow
    {
        public Guid DeliveryId { get; init; }
        public Guid? EventId { get; init; }
        public string EventType { get; init; } = "";
        public string Url { get; init; } = "";
        public string Status { get; init; } = "";
        public int Attempts { get; init; }
        public int? LastStatus { get; init; }
        public string? LastError { get; init; }
        public DateTime NextAttemptAt { get; init; }
        public DateTime? DeliveredAt { get; init; }
        public Guid? ReplayOf { get; init; }
        public DateTime CreatedAt { get; init; }
        public string? Payload { get; init; }

        public DeliveryView ToView(IReadOnlyList<AttemptRecord> attempts) => new(
            DeliveryId, EventId, EventType, Url, Status, Attempts, LastStatus, LastError, DbJson.Utc(NextAttemptAt),
            DeliveredAt is { } d ? DbJson.Utc(d) : null, ReplayOf, DbJson.Utc(CreatedAt), attempts);
    }

    private sealed class EndpointRow
    {
        public string Status { get; init; } = "";
        public string? Reason { get; init; }
        public int ConsecutiveFailures { get; init; }
    }

    private sealed class AttemptRow
    {
        public Guid DeliveryId { get; init; }
        public int Attempt { get; init; }
        public int? StatusCode { get; init; }
        public int LatencyMs { get; init; }
        public string? ResponseExcerpt { get; init; }
        public string? Error { get; init; }
        public DateTime CreatedAt { get; init; }

        public AttemptRecord ToRecord() => new(Attempt, StatusCode, LatencyMs, ResponseExcerpt, Error, DbJson.Utc(CreatedAt));
    }
}
