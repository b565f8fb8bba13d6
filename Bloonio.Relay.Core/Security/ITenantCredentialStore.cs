namespace Bloonio.Relay.Core.Security;

/// <summary>What HMAC#1 needs of a tenant: its status and every live (current or in-grace) secret, encrypted.</summary>
/// <param name="ValidUntil">When the first in-grace secret expires (the answer changes then); null when none is in grace.</param>
public sealed record TenantCredentials(
    Guid TenantId, string Status, IReadOnlyList<byte[]> ProtectedSecrets, Tenants.TenantQuotas Quotas, DateTimeOffset? ValidUntil = null);

public interface ITenantCredentialStore
{
    Task<TenantCredentials?> FindAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct);
}
