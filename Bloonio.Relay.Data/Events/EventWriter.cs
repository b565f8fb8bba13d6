using System.Data;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Common;
using Dapper;

namespace Bloonio.Relay.Data.Events;

internal static class EventWriter
{
    /// <summary>
    /// Appends events in the caller's transaction, unnumbered: <see cref="EventSequencer"/> gives them their per-tenant
    /// sequence once they are committed (no lock shared by every writer of a tenant): after the commit, the caller tells
    /// <see cref="EventCommits"/>.
    /// </summary>
    public static Task AppendAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, RelayEvent e, CancellationToken ct) =>
        AppendManyAsync(connection, tx, [(tenantId, e)], ct);

    public static Task AppendManyAsync(IDbConnection connection, IDbTransaction tx, IReadOnlyList<(Guid TenantId, RelayEvent Event)> events,
        CancellationToken ct)
    {
        if (events.Count == 0)
        {
            return Task.CompletedTask;
        }

        var parameters = new DynamicParameters();
        var sql = AppendManySql(events, parameters);
        return connection.ExecuteAsync(new CommandDefinition(sql, parameters, tx, cancellationToken: ct));
    }

    /// <summary>The statement that appends these events, its parameters added to
    /// <paramref name="parameters"/>: for a caller that sends them with its own statements, in one round trip.</summary>
    public static string AppendManySql(IReadOnlyList<(Guid TenantId, RelayEvent Event)> events, DynamicParameters parameters)
    {
        parameters.AddDynamicParams(new
        {
            eventIds = events.Select(e => e.Event.EventId).ToArray(),
            eventTenants = events.Select(e => e.TenantId).ToArray(),
            eventTypes = events.Select(e => e.Event.Type).ToArray(),
            eventData = events.Select(e => DbJson.Serialize(e.Event.Data)).ToArray(),
            eventCreatedAt = events.Select(e => e.Event.CreatedAt).ToArray(),
        });
        // Each event also joins the queue of unnumbered ones, in its own transaction: the sequencer takes it from there.
        return """
            WITH appended AS (
                INSERT INTO events (event_id, tenant_id, type, data, created_at)
                SELECT * FROM unnest(@eventIds, @eventTenants, @eventTypes, @eventData::jsonb[], @eventCreatedAt)
                RETURNING id, tenant_id
            )
            INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM appended;
            """;
    }
}
