using Bloonio.Relay.Core.Quotas;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Quotas;

public sealed class UsageStore(NpgsqlDataSource dataSource) : IUsageStore
{
    public async Task ApplyAsync(Guid tenantId, IReadOnlyList<UsageIncrement> increments, long lastSequence, CancellationToken ct)
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
        if (fresh.Count > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO usage_daily (tenant_id, day, metric, value) VALUES (@tenantId, @day::date, @metric, @value)
                ON CONFLICT (tenant_id, day, metric) DO UPDATE SET value = usage_daily.value + EXCLUDED.value
                """, fresh, tx, cancellationToken: ct));
        }

        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE usage_cursors SET last_sequence = GREATEST(last_sequence, @lastSequence) WHERE tenant_id = @tenantId",
            new { tenantId, lastSequence }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
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

    public async Task<int> MessagesThisMonthAsync(Guid tenantId, DateOnly month, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "SELECT messages FROM tenant_monthly_messages WHERE tenant_id = @tenantId AND month = @month::date",
            new { tenantId, month = month.ToDateTime(TimeOnly.MinValue) }, cancellationToken: ct)) ?? 0;
    }
}
