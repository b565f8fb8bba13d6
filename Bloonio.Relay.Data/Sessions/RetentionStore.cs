using Bloonio.Relay.Core.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

/// <summary>
/// Retention in batches of <see cref="Batch"/> rows (short transactions, no long lock on hot tables), at most
/// <see cref="MaxBatches"/> per kind and pass; the next pass goes on where this one stopped. Each batch finds its rows
/// through a partial index of what is still to purge, so a pass with nothing to do reads nothing. A batch's rows are
/// read once into an array and then written through their key (<c>= ANY (ARRAY(…))</c>): with <c>IN (SELECT … LIMIT n)</c>
/// a planner misled by statistics may run the subquery again for every row it writes (EventSequencer.PassSql).
/// </summary>
public sealed class RetentionStore(NpgsqlDataSource dataSource) : IRetentionStore
{
    private const int Batch = 1000;
    private const int MaxBatches = 20;

    public async Task<RetentionResult> PurgeAsync(DateTimeOffset cutoff, CancellationToken ct) =>
        new(await RepeatAsync("""
                DELETE FROM messages WHERE message_id = ANY (ARRAY(
                    SELECT m.message_id FROM sessions s JOIN messages m ON m.session_id = s.session_id
                    WHERE s.status = 'closed' AND s.closed_at < @cutoff LIMIT @Batch))
                """, cutoff, ct)
            + await RepeatAsync("""
                DELETE FROM session_notes WHERE note_id = ANY (ARRAY(
                    SELECT n.note_id FROM sessions s JOIN session_notes n ON n.session_id = s.session_id
                    WHERE s.status = 'closed' AND s.closed_at < @cutoff LIMIT @Batch))
                """, cutoff, ct),
            await RepeatAsync("""
                UPDATE events SET data = data - 'text' - 'attachments' WHERE event_id = ANY (ARRAY(
                    SELECT event_id FROM events WHERE type = 'message.created' AND data ? 'text' AND created_at < @cutoff LIMIT @Batch))
                """, cutoff, ct)
            + await RepeatAsync("""
                UPDATE events SET data = data - 'text' WHERE event_id = ANY (ARRAY(
                    SELECT event_id FROM events WHERE type = 'note.created' AND data ? 'text' AND created_at < @cutoff LIMIT @Batch))
                """, cutoff, ct),
            await RepeatAsync("""
                UPDATE webhook_deliveries SET payload = payload #- '{data,text}' #- '{data,attachments}' WHERE delivery_id = ANY (ARRAY(
                    SELECT delivery_id FROM webhook_deliveries WHERE payload -> 'data' ? 'text' AND created_at < @cutoff LIMIT @Batch))
                """, cutoff, ct));

    private async Task<int> RepeatAsync(string sql, DateTimeOffset cutoff, CancellationToken ct)
    {
        var total = 0;
        for (var i = 0; i < MaxBatches; i++)
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var done = await connection.ExecuteAsync(new CommandDefinition(sql, new { cutoff, Batch }, cancellationToken: ct));
            total += done;
            if (done < Batch)
            {
                break;
            }
        }

        return total;
    }
}
