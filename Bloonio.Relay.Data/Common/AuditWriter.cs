using System.Data;
using Bloonio.Relay.Core.Common;
using Dapper;

namespace Bloonio.Relay.Data.Common;

internal static class AuditWriter
{
    /// <summary>Writes the entry in the caller's transaction, so the change and its audit line commit together.</summary>
    public static Task InsertAsync(IDbConnection connection, IDbTransaction tx, AuditEntry entry, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO audit_log (audit_id, tenant_id, actor, action, target, ip_address, details, created_at)
            VALUES (@AuditId, @TenantId, @Actor, @Action, @Target, @IpAddress, @Details::jsonb, @CreatedAt)
            """,
            new
            {
                entry.AuditId, entry.TenantId, entry.Actor, entry.Action, entry.Target, entry.IpAddress,
                Details = DbJson.Serialize(entry.Details), entry.CreatedAt,
            },
            tx, cancellationToken: ct));
}
