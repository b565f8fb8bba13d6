namespace Bloonio.Relay.Core.Security;

/// <summary>What HMAC#1 needs of a tenant: its status and every live (current or in-grace) secret, encrypted.</summary>
public sealed record TenantCredentials(Guid TenantId, string Status, IReadOnlyList<byte[]> ProtectedSecrets, Tenants.TenantQuotas Quotas);

public interface ITenantCredentialStore
{
    Task<TenantCredentials?> FindAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct);
}
