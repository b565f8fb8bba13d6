using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Data.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Security;

/// <summary>
/// The replay cache in PostgreSQL: an INSERT … ON CONFLICT decides, for every node at once, whether a request was seen.
/// Digests asked about at the same time on a node are decided together (group commit: one statement and one commit for
/// a batch, instead of a commit per signed request; issue 12, P5). Expired rows are swept at most once a minute.
/// </summary>
public sealed class PostgresReplayCache(NpgsqlDataSource dataSource, TimeProvider clock) : IReplayCache, IAsyncDisposable
{
    private static readonly TimeSpan SweepEvery = TimeSpan.FromMinutes(1);
    private long _nextSweepTicks;
    private GroupCommit<Pending>? _batches;

    private GroupCommit<Pending> Batches => LazyInitializer.EnsureInitialized(ref _batches, () => new GroupCommit<Pending>(128, WriteBatchAsync));

    public Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var pending = new Pending(tenantId, requestDigest, expiresAt);
        Batches.Add(pending);
        return pending.Done.Task.WaitAsync(ct);
    }

    public ValueTask DisposeAsync() => _batches?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        try
        {
            var first = await DecideAsync(batch);
            foreach (var pending in batch)
            {
                pending.Done.TrySetResult(first.Remove(pending.Key)); // a second equal request in the batch is a replay
            }
        }
        catch (Exception ex)
        {
            foreach (var pending in batch)
            {
                pending.Done.TrySetException(ex);
            }
        }
    }

    /// <returns>The keys of the requests seen for the first time (of several equal ones in the batch, only the first).</returns>
    private async Task<HashSet<string>> DecideAsync(IReadOnlyList<Pending> batch)
    {
        var now = clock.GetUtcNow();
        // In one order on every node: two nodes inserting overlapping digests take their index locks in the same order.
        var distinct = batch.DistinctBy(p => p.Key).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
        await using var connection = await dataSource.OpenConnectionAsync();
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= next && Interlocked.CompareExchange(ref _nextSweepTicks, (now + SweepEvery).UtcTicks, next) == next)
        {
            await connection.ExecuteAsync(new CommandDefinition("DELETE FROM hmac_replay WHERE expires_at < @now", new { now }));
        }

        // An expired row for the same digest (a clock far behind) is taken over rather than refused.
        var taken = await connection.QueryAsync<(Guid TenantId, byte[] Digest)>(new CommandDefinition("""
            INSERT INTO hmac_replay (tenant_id, request_digest, expires_at)
            SELECT * FROM unnest(@tenantIds, @digests, @expiresAts)
            ON CONFLICT (tenant_id, request_digest) DO UPDATE SET expires_at = EXCLUDED.expires_at
            WHERE hmac_replay.expires_at < @now
            RETURNING tenant_id, request_digest
            """, new
        {
            tenantIds = distinct.Select(p => p.TenantId).ToArray(),
            digests = distinct.Select(p => p.RequestDigest).ToArray(),
            expiresAts = distinct.Select(p => p.ExpiresAt).ToArray(),
            now,
        }));
        return taken.Select(t => Pending.KeyOf(t.TenantId, t.Digest)).ToHashSet();
    }

    private sealed record Pending(Guid TenantId, byte[] RequestDigest, DateTimeOffset ExpiresAt) : Pending<bool>
    {
        public string Key { get; } = KeyOf(TenantId, RequestDigest);

        public static string KeyOf(Guid tenantId, byte[] digest) => $"{tenantId:N}:{Convert.ToHexString(digest)}";
    }
}
