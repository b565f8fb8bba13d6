using System.Data;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Data.Events;
using Dapper;

namespace Bloonio.Relay.Data.Caching;

/// <summary>
/// The node's caches of hot rows (tenants, their credentials and widget keys, operator memberships) and their one
/// invalidation path: a write sends <c>NOTIFY relay_cache</c> in its transaction (<see cref="NotifyTenantAsync"/>,
/// <see cref="NotifyOperatorsAsync"/>), every node's listener calls <see cref="Invalidate"/> when it commits, and the
/// writing node drops its own entries at once. A listener that lost its connection clears everything.
/// </summary>
public sealed class RelayCaches(TimeProvider clock)
{
    private const string TenantPrefix = "tenant:";
    private const string OperatorsPrefix = "operators:";

    public RelayCache<Guid, Tenant?> Tenants { get; } = new(clock);
    public RelayCache<Guid, TenantCredentials?> Credentials { get; } = new(clock);
    public RelayCache<string, (Guid TenantId, DateTimeOffset? ExpiresAt)?> WidgetKeys { get; } = new(clock);
    public RelayCache<(Guid Tenant, Guid Operator), OperatorMembership?> MembershipsById { get; } = new(clock);
    public RelayCache<(Guid Tenant, string Email), OperatorMembership?> MembershipsByEmail { get; } = new(clock);

    public static Task NotifyTenantAsync(IDbConnection connection, IDbTransaction tx, Guid tenantId, CancellationToken ct) =>
        NotifyAsync(connection, tx, TenantPrefix + tenantId, ct);

    public static Task NotifyOperatorsAsync(IDbConnection connection, IDbTransaction? tx, Guid tenantId, CancellationToken ct) =>
        NotifyAsync(connection, tx, OperatorsPrefix + tenantId, ct);

    private static Task NotifyAsync(IDbConnection connection, IDbTransaction? tx, string payload, CancellationToken ct) =>
        connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{Notifications.Cache}', @payload)", new { payload }, tx, cancellationToken: ct));

    /// <summary>A notification's payload, or a local write: drops what it names.</summary>
    public void Invalidate(string payload)
    {
        if (payload.StartsWith(TenantPrefix, StringComparison.Ordinal) && Guid.TryParse(payload[TenantPrefix.Length..], out var tenant))
        {
            InvalidateTenant(tenant);
        }
        else if (payload.StartsWith(OperatorsPrefix, StringComparison.Ordinal) && Guid.TryParse(payload[OperatorsPrefix.Length..], out var ofTenant))
        {
            InvalidateOperators(ofTenant);
        }
        else
        {
            Clear();
        }
    }

    public void InvalidateTenant(Guid tenantId)
    {
        Tenants.Remove(tenantId);
        Credentials.Remove(tenantId);
        WidgetKeys.Clear(); // keyed by key, and rotations are rare
    }

    public void InvalidateOperators(Guid tenantId)
    {
        MembershipsById.RemoveWhere(k => k.Tenant == tenantId);
        MembershipsByEmail.RemoveWhere(k => k.Tenant == tenantId);
    }

    public void Clear()
    {
        Tenants.Clear();
        Credentials.Clear();
        WidgetKeys.Clear();
        MembershipsById.Clear();
        MembershipsByEmail.Clear();
    }
}
