namespace Bloonio.Relay.Core.Security;

/// <summary>
/// Remembers accepted HMAC#1 requests for the signature window. PostgreSQL by default (correct across nodes),
/// in memory for a single node, Redis once the scale-out backplane is configured.
/// </summary>
public interface IReplayCache
{
    /// <summary>True the first time a request digest is seen for the tenant; false for a replay.</summary>
    Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct);
}
