using System.Security.Cryptography;
using System.Text;

namespace Bloonio.Relay.Core.Security;

/// <summary>Encrypts secrets that must be read back (tenant secrets verify HMAC#1), so they never rest in plain text.</summary>
public interface ISecretProtector
{
    byte[] Protect(string plaintext);

    string Unprotect(byte[] protectedBytes);
}

/// <summary>
/// AES-256-GCM under <c>Relay:MasterKey</c>. Layout: version (1) · nonce (12) · tag (16) · ciphertext.
/// The version byte leaves room for re-encryption under a new master key.
/// </summary>
public sealed class AesGcmSecretProtector : ISecretProtector
{
    private const byte Version = 1;
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;

    public AesGcmSecretProtector(byte[] masterKey)
    {
        if (masterKey.Length != 32)
        {
            throw new ArgumentException("Relay:MasterKey must be 32 bytes (base64).", nameof(masterKey));
        }

        _key = masterKey;
    }

    public byte[] Protect(string plaintext)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var output = new byte[1 + NonceSize + TagSize + plain.Length];
        output[0] = Version;
        var nonce = output.AsSpan(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(1 + NonceSize + TagSize), output.AsSpan(1 + NonceSize, TagSize));
        return output;
    }

    public string Unprotect(byte[] protectedBytes)
    {
        if (protectedBytes.Length < 1 + NonceSize + TagSize || protectedBytes[0] != Version)
        {
            throw new CryptographicException("Unknown secret format.");
        }

        var cipher = protectedBytes.AsSpan(1 + NonceSize + TagSize);
        var plain = new byte[cipher.Length];
        using var aes = new AesGcm(_key, TagSize);
        aes.Decrypt(protectedBytes.AsSpan(1, NonceSize), cipher, protectedBytes.AsSpan(1 + NonceSize, TagSize), plain);
        return Encoding.UTF8.GetString(plain);
    }
}
