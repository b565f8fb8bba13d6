using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Core.Tenants;

public interface ITenantRepository
{
    Task CreateAsync(NewTenant tenant, AuditEntry audit, CancellationToken ct);

    /// <summary>
    /// The tenant as the hot paths need it, from the node's cache: its configuration carries no FAQ (an empty list), so
    /// that up to 200 entries do not ride along with every message, token and widget request.
    /// </summary>
    Task<Tenant?> GetAsync(Guid tenantId, CancellationToken ct);

    /// <summary>The whole tenant, FAQ included, read from PostgreSQL: for the admin API, the console, updates and the
    /// development brain.</summary>
    Task<Tenant?> GetWithFaqAsync(Guid tenantId, CancellationToken ct);

    /// <summary>The tenant of a widget key that is current or still in its grace period at <paramref name="now"/>.</summary>
    Task<Tenant?> FindByWidgetKeyAsync(string widgetKey, DateTimeOffset now, CancellationToken ct);

    /// <summary>True when an active tenant's allowed origins match (for CORS preflights, which carry no widget key).</summary>
    Task<bool> IsOriginAllowedByAnyActiveTenantAsync(string origin, CancellationToken ct);

    /// <summary>Oldest first, keyset-paged by tenant id, FAQ included.</summary>
    Task<IReadOnlyList<Tenant>> ListAsync(Guid? after, int limit, CancellationToken ct);

    /// <summary>
    /// Writes name, configuration and quotas if the tenant is still at <paramref name="expectedVersion"/> (compare and
    /// set); returns the new version, or null when it has moved on (or does not exist).
    /// </summary>
    Task<long?> UpdateAsync(Guid tenantId, long expectedVersion, string name, TenantConfiguration configuration, TenantQuotas quotas,
        AuditEntry audit, CancellationToken ct);

    /// <summary>
    /// Rotation in one transaction: the current key expires at <paramref name="previousExpiresAt"/> (older in-grace
    /// keys end now, so at most two are live), the new one becomes current, with its audit line and key.rotated event.
    /// </summary>
    Task<bool> RotateSecretAsync(Guid tenantId, byte[] protectedSecret, DateTimeOffset previousExpiresAt, AuditEntry audit,
        Events.RelayEvent rotated, CancellationToken ct);

    Task<bool> RotateWidgetKeyAsync(Guid tenantId, string widgetKey, DateTimeOffset previousExpiresAt, AuditEntry audit,
        Events.RelayEvent rotated, CancellationToken ct);

    Task<bool> SetStatusAsync(Guid tenantId, string status, AuditEntry audit, CancellationToken ct);
}
