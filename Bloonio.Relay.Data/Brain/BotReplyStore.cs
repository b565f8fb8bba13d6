using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Data.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Brain;

/// <summary>
/// The bot lane's queue: one row per visitor message the bot is to answer (inserted with the message, see
/// <c>SessionTransitionStore</c>), leased by any node, deleted once answered or escalated.
/// </summary>
public sealed class BotReplyStore(NpgsqlDataSource dataSource) : IBotReplyStore
{
    public async Task<IReadOnlyList<BotReplyJob>> LeaseAsync(int limit, DateTimeOffset now, DateTimeOffset leasedUntil, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid MessageId, Guid TenantId, Guid SessionId, int Seq, DateTime CreatedAt, int Attempts, string? Text)>(
            new CommandDefinition("""
                WITH due AS (
                    SELECT message_id FROM bot_replies WHERE leased_until IS NULL OR leased_until < @now
                    ORDER BY created_at LIMIT @limit FOR UPDATE SKIP LOCKED
                )
                UPDATE bot_replies b SET leased_until = @leasedUntil, attempts = b.attempts + 1
                FROM due WHERE b.message_id = due.message_id
                RETURNING b.message_id, b.tenant_id, b.session_id, b.seq, b.created_at, b.attempts,
                          (SELECT m.text FROM messages m WHERE m.message_id = b.message_id)
                """, new { limit, now, leasedUntil }, cancellationToken: ct));
        return rows.OrderBy(r => r.CreatedAt)
            .Select(r => new BotReplyJob(r.MessageId, r.TenantId, r.SessionId, r.Seq, r.Text ?? "", DbJson.Utc(r.CreatedAt), r.Attempts)).ToList();
    }

    public async Task CompleteAsync(Guid messageId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("DELETE FROM bot_replies WHERE message_id = @messageId", new { messageId },
            cancellationToken: ct));
    }

    public async Task ReleaseAsync(Guid messageId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("UPDATE bot_replies SET leased_until = NULL WHERE message_id = @messageId",
            new { messageId }, cancellationToken: ct));
    }

    public async Task<int> PendingAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition("SELECT count(*)::int FROM bot_replies", cancellationToken: ct));
    }
}
