using System.Data;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Common;
using Dapper;

namespace Bloonio.Relay.Data.Events;

internal static class EventWriter
{
    /// <summary>
    /// Appends events in the caller's transaction, unnumbered: <see cref="EventSequencer"/> gives them their per-tenant
    /// sequence once they are committed (no lock shared by every writer of a tenant), woken by the notification.
    /// </summary>
    public static Task AppendAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, RelayEvent e, CancellationToken ct) =>
        AppendManyAsync(connection, tx, [(tenantId, e)], ct);

    public static Task AppendManyAsync(IDbConnection connection, IDbTransaction tx, IReadOnlyList<(Guid TenantId, RelayEvent Event)> events,
        CancellationToken ct) =>
        events.Count == 0
            ? Task.CompletedTask
            : connection.ExecuteAsync(new CommandDefinition($"""
                INSERT INTO events (event_id, tenant_id, type, data, created_at)
                SELECT * FROM unnest(@ids, @tenants, @types, @data::jsonb[], @createdAt);
                SELECT pg_notify('{Notifications.Events}', '');
                """,
                new
                {
                    ids = events.Select(e => e.Event.EventId).ToArray(),
                    tenants = events.Select(e => e.TenantId).ToArray(),
                    types = events.Select(e => e.Event.Type).ToArray(),
                    data = events.Select(e => DbJson.Serialize(e.Event.Data)).ToArray(),
                    createdAt = events.Select(e => e.Event.CreatedAt).ToArray(),
                }, tx, cancellationToken: ct));
}
