using System.Data;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Common;
using Dapper;

namespace Bloonio.Relay.Data.Events;

internal static class EventWriter
{
    /// <summary>
    /// Appends an event in the caller's transaction with the tenant's next sequence. The counter row stays locked
    /// until commit, so sequences are gapless and in commit order.
    /// </summary>
    public static async Task AppendAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, RelayEvent e, CancellationToken ct)
    {
        var sequence = await connection.ExecuteScalarAsync<long>(new CommandDefinition("""
            INSERT INTO tenant_event_sequences (tenant_id, last_sequence) VALUES (@tenantId, 1)
            ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = tenant_event_sequences.last_sequence + 1
            RETURNING last_sequence
            """, new { tenantId }, tx, cancellationToken: ct));
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO events (event_id, tenant_id, sequence, type, data, created_at)
            VALUES (@EventId, @tenantId, @sequence, @Type, @Data::jsonb, @CreatedAt)
            """, new { e.EventId, tenantId, sequence, e.Type, Data = DbJson.Serialize(e.Data), e.CreatedAt }, tx, cancellationToken: ct));
    }
}
