using Bloonio.Relay.Core.Quotas;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Quotas;

public sealed class UsageStore(NpgsqlDataSource dataSource, Events.EventCommits commits, Core.Events.IEventSequencer sequencer) : IUsageStore
{
    private const string MessageMetrics = "('messages_visitor', 'messages_operator', 'messages_bot')";

    public async Task ApplyAsync(Guid tenantId, IReadOnlyList<UsageIncrement> increments, long lastSequence, int? monthlyLimit,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var counted = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO usage_cursors (tenant_id) VALUES (@tenantId) ON CONFLICT (tenant_id) DO NOTHING;
            SELECT last_sequence FROM usage_cursors WHERE tenant_id = @tenantId FOR UPDATE;
            """, new { tenantId }, tx, cancellationToken: ct));
        var fresh = increments.Where(i => i.Sequence > counted)
            .GroupBy(i => (i.Day, i.Metric))
            .Select(g => new { tenantId, day = g.Key.Day.ToDateTime(TimeOnly.MinValue), metric = g.Key.Metric, value = (long)g.Count() })
            .ToList();
        var months = fresh.Where(f => IsMessage(f.metric)).Select(f => MonthlyQuota.MonthOf(new DateTimeOffset(f.day, TimeSpan.Zero))).Distinct().ToList();
        var before = new Dictionary<DateOnly, long>();
        foreach (var month in months)
        {
            before[month] = await CountedAsync(connection, tx, tenantId, month, ct);
        }

        if (fresh.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO usage_daily (tenant_id, day, metric, value)
                SELECT @tenantId, day, metric, value FROM unnest(@days::date[], @metrics, @values) AS u(day, metric, value)
                ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = usage_daily.value + EXCLUDED.value
                """,
                new
                {
                    tenantId, days = fresh.Select(f => f.day).ToArray(), metrics = fresh.Select(f => f.metric).ToArray(),
                    values = fresh.Select(f => f.value).ToArray(),
                }, tx, cancellationToken: ct));
        }

        if (monthlyLimit is { } limit)
        {
            foreach (var month in months)
            {
                await QuotaEventsAsync(connection, tx, tenantId, month, limit, before[month], await CountedAsync(connection, tx, tenantId, month, ct), ct);
            }
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE usage_cursors SET last_sequence = GREATEST(last_sequence, @lastSequence) WHERE tenant_id = @tenantId",
            new { tenantId, lastSequence }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        commits.Committed(); // the quota events, if the batch crossed a threshold
    }

    public async Task RecordPeakAsync(Guid tenantId, DateOnly day, int connections, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES (@tenantId, @day::date, @metric, @connections)
            ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = GREATEST(usage_daily.value, EXCLUDED.value)
            """, new { tenantId, day = day.ToDateTime(TimeOnly.MinValue), metric = UsageMetrics.PeakConnections, connections }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<UsageDay>> ListAsync(Guid tenantId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime Day, string Metric, long Value)>(new CommandDefinition("""
            SELECT day::timestamp AS day, metric, value FROM usage_daily WHERE tenant_id = @tenantId AND day BETWEEN @from::date AND @to::date ORDER BY day
            """, new { tenantId, from = from.ToDateTime(TimeOnly.MinValue), to = to.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct));
        return rows.GroupBy(r => DateOnly.FromDateTime(r.Day))
            .Select(g => new UsageDay(g.Key, g.ToDictionary(r => r.Metric, r => r.Value))).ToList();
    }

    public async Task<long> MessagesThisMonthAsync(Guid tenantId, DateOnly month, CancellationToken ct)
    {
        // Every message committed before this call is numbered first (a pass numbers every event committed before it
        // began), so one statement, one snapshot, counts them all: usage counted up to its cursor, plus the message events
        // numbered past it. (The unnumbered ones used to be counted from the queue instead: with no index by tenant, that
        // read every entry the queue had held since its last vacuum.)
        await sequencer.CatchUpAsync(ct);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Past the cursor lie as many events as the usage consumer's lag, but the planner cannot know the cursor when it
        // plans: for a tenant with many events it guessed a third of them and hashed the whole events table (200 ms under
        // load, the largest stall in P2's tail). The range is read through the tenant's numbers and each event by its row,
        // whatever the estimates (the transaction forbids scans and hash or merge joins for itself).
        long count;
        await using (var read = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {Common.IndexPaths.NoScans}, {Common.IndexPaths.NoHashOrMergeJoins};
            SELECT COALESCE((SELECT sum(value) FROM usage_daily
                             WHERE tenant_id = @tenantId AND day >= @from::date AND day < @to::date AND metric IN {MessageMetrics}), 0)
                 + (SELECT count(*) FROM event_numbers n JOIN events e ON e.id = n.event_row
                    WHERE n.tenant_id = @tenantId
                      AND n.sequence > COALESCE((SELECT last_sequence FROM usage_cursors WHERE tenant_id = @tenantId), 0)
                      AND e.type = 'message.created' AND e.created_at >= @from AND e.created_at < @to
                      AND e.data->'sender'->>'type' <> 'system')
            """, new { tenantId, from = month.ToDateTime(TimeOnly.MinValue), to = month.AddMonths(1).ToDateTime(TimeOnly.MinValue) }, tx,
            cancellationToken: ct)))
        {
            await read.ReadAsync();
            count = await read.ReadSingleAsync<long>();
        }

        await tx.CommitAsync(ct);
        return count;
    }

    private static bool IsMessage(string metric) =>
        metric is UsageMetrics.VisitorMessages or UsageMetrics.OperatorMessages or UsageMetrics.BotMessages;

    private static Task<long> CountedAsync(System.Data.IDbConnection connection, System.Data.IDbTransaction tx, Guid tenantId, DateOnly month,
        CancellationToken ct) =>
        connection.ExecuteScalarAsync<long>(new CommandDefinition($"""
            SELECT COALESCE(sum(value), 0)::bigint FROM usage_daily
            WHERE tenant_id = @tenantId AND day >= @from::date AND day < @to::date AND metric IN {MessageMetrics}
            """, new { tenantId, from = month.ToDateTime(TimeOnly.MinValue), to = month.AddMonths(1).ToDateTime(TimeOnly.MinValue) }, tx,
            cancellationToken: ct));

    /// <summary>quota.warning at 80 % and quota.exceeded at 100 %, each written by the batch that crosses it.</summary>
    private static async Task QuotaEventsAsync(System.Data.IDbConnection connection, System.Data.IDbTransaction tx, Guid tenantId, DateOnly month,
        int limit, long before, long after, CancellationToken ct)
    {
        foreach (var (threshold, type) in new[] { ((long)Math.Ceiling(limit * 0.8), Core.Events.EventTypes.QuotaWarning), ((long)limit, Core.Events.EventTypes.QuotaExceeded) })
        {
            if (before < threshold && after >= threshold)
            {
                var at = DateTimeOffset.UtcNow;
                await Events.EventWriter.AppendAsync(connection, tx, tenantId, new Core.Events.RelayEvent(Guid.CreateVersion7(at), type,
                    new { quota = "messages_per_month", limit, used = threshold, period = month.ToString("yyyy-MM") }, at), ct);
            }
        }
    }
}
