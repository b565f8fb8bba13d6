using Bloonio.Relay.Core.Security;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Security;

/// <summary>
/// The replay cache in PostgreSQL: one INSERT … ON CONFLICT DO NOTHING decides, for every node at once, whether a
/// request was seen. Expired rows are swept at most once a minute by whichever call notices.
/// </summary>
public sealed class PostgresReplayCache(NpgsqlDataSource dataSource, TimeProvider clock) : IReplayCache
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private long _nextSweepTicks;

    public async Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= next && Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepEvery).UtcTicks, next) == next)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "DELETE FROM hmac_replay WHERE expires_at < @now", new { now }, cancellationToken: ct));
        }

        // An expired row for the same digest (a clock far behind) is taken over rather than refused.
        var inserted = await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO hmac_replay (tenant_id, request_digest, expires_at) VALUES (@tenantId, @requestDigest, @expiresAt)
            ON CONFLICT (tenant_id, request_digest) DO UPDATE SET expires_at = EXCLUDED.expires_at
            WHERE hmac_replay.expires_at < @now
            """, new { tenantId, requestDigest, expiresAt, now }, cancellationToken: ct));
        return inserted == 1;
    }
}
