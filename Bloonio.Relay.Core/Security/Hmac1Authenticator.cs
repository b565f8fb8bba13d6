using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Security;

public sealed record Hmac1Request(
    string? TenantId, string? Timestamp, string? Signature, string Method, string PathAndQuery, ReadOnlyMemory<byte> Body);

/// <summary>
/// Verifies an incoming HMAC#1 request (SPEC 2) in the order that leaks least: header shape, clock window, tenant,
/// signature (constant time, every live secret), suspension, and only then the replay cache, so an unsigned caller
/// can neither probe a tenant's status nor fill the cache.
/// </summary>
public sealed class Hmac1Authenticator(
    ITenantCredentialStore credentials,
    ISecretProtector protector,
    IReplayCache replayCache,
    TimeProvider clock,
    IOptions<RelayCoreOptions> options)
{
    /// <returns>The authenticated tenant (with its quota overrides, for the backend rate limit).</returns>
    public async Task<TenantCredentials> AuthenticateAsync(Hmac1Request request, CancellationToken ct)
    {
        if (!Guid.TryParse(request.TenantId, out var tenantId)
            || !long.TryParse(request.Timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var timestampMs)
            || Hmac1.ParseSignatures(request.Signature) is not { } signatures)
        {
            throw new AuthenticationFailedException(ErrorCodes.MissingSignature,
                "X-Bloonio-Tenant-Id, X-Bloonio-Timestamp (unix ms) and X-Bloonio-Signature (v1=<hex>) are required");
        }

        var now = clock.GetUtcNow();
        var window = options.Value.SignatureWindow;
        if (Math.Abs(now.ToUnixTimeMilliseconds() - timestampMs) > (long)window.TotalMilliseconds)
        {
            throw new AuthenticationFailedException(ErrorCodes.TimestampOutOfWindow,
                $"X-Bloonio-Timestamp must be within {window.TotalSeconds:0} seconds of the relay's clock (unix milliseconds)");
        }

        var tenant = await credentials.FindAsync(tenantId, now, ct)
            ?? throw new AuthenticationFailedException(ErrorCodes.UnknownTenant, "Unknown tenant");

        var canonical = Hmac1.Canonical(request.Timestamp!, request.Method, options.Value.PublicPathBase + request.PathAndQuery,
            Hmac1.BodyHash(request.Body.Span));
        var expected = Readable(tenant.ProtectedSecrets, tenantId).Select(secret => Hmac1.Compute(secret, canonical)).ToList();
        if (!Hmac1.Matches(signatures, expected))
        {
            throw new AuthenticationFailedException(ErrorCodes.InvalidSignature, "Invalid signature");
        }

        if (tenant.Status != TenantStatuses.Active)
        {
            throw new ForbiddenException(ErrorCodes.TenantSuspended, "Tenant is suspended");
        }

        // The digest of the canonical request, not of one signature: a request signed with both secrets during a
        // rotation cannot be replayed with the other one.
        var digest = SHA256.HashData(Encoding.UTF8.GetBytes(canonical));
        if (!await replayCache.TryRememberAsync(tenantId, digest, DateTimeOffset.FromUnixTimeMilliseconds(timestampMs) + window, ct))
        {
            throw new AuthenticationFailedException(ErrorCodes.ReplayedRequest,
                "This signed request was already accepted; sign the retry again with a fresh timestamp");
        }

        return tenant;
    }

    /// <summary>The tenant's secrets that decrypt as this tenant's: one that does not (moved from another row, tampered
    /// with) verifies nothing, and is not an error of the caller's.</summary>
    private IEnumerable<string> Readable(IEnumerable<byte[]> protectedSecrets, Guid tenantId)
    {
        foreach (var protectedSecret in protectedSecrets)
        {
            string? secret;
            try
            {
                secret = protector.Unprotect(protectedSecret, SecretPurpose.TenantSecret(tenantId));
            }
            catch (System.Security.Cryptography.CryptographicException)
            {
                secret = null;
            }

            if (secret is not null)
            {
                yield return secret;
            }
        }
    }
}
