namespace Bloonio.Relay.Core.Tenants;

/// <summary>Told when a tenant is suspended, to close its live connections (visitors and operators) at once.</summary>
public interface ITenantStatusListener
{
    Task TenantSuspendedAsync(Guid tenantId, CancellationToken ct);
}
