using System.Security.Cryptography;
using System.Text;

namespace Bloonio.Relay.Core.Security;

/// <summary>What a protected secret is and whose: bound into its ciphertext, so it cannot be moved to another row.</summary>
public readonly record struct SecretPurpose(string Kind, Guid Owner)
{
    public static SecretPurpose TenantSecret(Guid tenantId) => new("tenant_secret", tenantId);

    /// <summary>ASP.NET Core Data Protection's key ring (console cookies, antiforgery), shared by every node.</summary>
    public static readonly SecretPurpose DataProtectionKey = new("data_protection_key", Guid.Empty);

    public byte[] AssociatedData() => Encoding.UTF8.GetBytes($"bloonio-relay:{Kind}:{Owner:N}");
}

/// <summary>Encrypts secrets that must be read back (tenant secrets verify HMAC#1), so they never rest in plain text.</summary>
public interface ISecretProtector
{
    byte[] Protect(string plaintext, SecretPurpose purpose);

    /// <exception cref="CryptographicException">Not this purpose's ciphertext (moved from another row, tampered with, another master key).</exception>
    string Unprotect(byte[] protectedBytes, SecretPurpose purpose);

    /// <summary>
    /// A ciphertext of an older format, or under a previous master key, re-encrypted for <paramref name="purpose"/> under
    /// the current key; null when it is current.
    /// </summary>
    byte[]? Upgrade(byte[] protectedBytes, SecretPurpose purpose);

    /// <summary>Whether previous master keys are configured (a rotation is in progress: every secret is to be checked).</summary>
    bool Rotating { get; }
}

/// <summary>
/// AES-256-GCM under <c>Relay:MasterKey</c>. Layout: version (1) · nonce (12) · tag (16) · ciphertext. Version 2 binds
/// the secret to its kind and owner as associated data (a tenant's secret copied to another tenant's row does not
/// decrypt); version 1 (no associated data) is only read to upgrade it, at start-up. Rotation: the new key becomes
/// <c>Relay:MasterKey</c> and the old one goes to <c>Relay:PreviousMasterKeys</c>; secrets still under an old key are
/// read with it and re-encrypted under the new one at start-up (GCM's tag tells which key fits).
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector
{
    private const byte Legacy = 1;
    private const byte Version = 2;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly IReadOnlyList<byte[]> _previous;

    public AesGcmSecretProtector(byte[] masterKey, IReadOnlyList<byte[]>? previousKeys = null)
    {
        if (masterKey.Length != 32 || previousKeys?.Any(k => k.Length != 32) == true)
        {
            throw new ArgumentException("Relay:MasterKey (and each of Relay:PreviousMasterKeys) must be 32 bytes (base64).", nameof(masterKey));
        }

        _key = masterKey;
        _previous = previousKeys ?? [];
    }

    public bool Rotating => _previous.Count > 0;

    public byte[] Protect(string plaintext, SecretPurpose purpose)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[1 + NonceSize + TagSize + plain.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize), purpose.AssociatedData());
        return output;
    }

    public string Unprotect(byte[] protectedBytes, SecretPurpose purpose) => Decrypt(protectedBytes, Version, purpose.AssociatedData()).Plain;

    public byte[]? Upgrade(byte[] protectedBytes, SecretPurpose purpose)
    {
        var legacy = protectedBytes.Length > 0 && protectedBytes[0] == Legacy;
        var (plain, current) = Decrypt(protectedBytes, legacy ? Legacy : Version, legacy ? null : purpose.AssociatedData());
        return legacy || !current ? Protect(plain, purpose) : null;
    }

    /// <returns>The plaintext, and whether the current key (not a previous one) opened it.</returns>
    private (string Plain, bool Current) Decrypt(byte[] protectedBytes, byte version, byte[]? associatedData)
    {
        if (protectedBytes.Length < 1 + NonceSize + TagSize || protectedBytes[0] != version)
        {
            throw new CryptographicException("Unknown secret format.");
        }

        var cipher = protectedBytes.AsSpan(1 + NonceSize + TagSize);
        var plain = new byte[cipher.Length];
        foreach (var key in _previous.Prepend(_key))
        {
            try
            {
                using var aes = new AesGcm(key, TagSize);
                aes.Decrypt(protectedBytes.AsSpan(1, NonceSize), cipher, protectedBytes.AsSpan(1 + NonceSize, TagSize), plain, associatedData);
                return (Encoding.UTF8.GetString(plain), ReferenceEquals(key, _key));
            }
            catch (AuthenticationTagMismatchException) when (!ReferenceEquals(key, _previous.LastOrDefault() ?? _key))
            {
                // not this key: try the next
            }
        }

        throw new CryptographicException("No master key opens this secret.");
    }
}
