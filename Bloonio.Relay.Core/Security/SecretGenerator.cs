using System.Security.Cryptography;

namespace Bloonio.Relay.Core.Security;

/// <summary>Prefixed secrets (SPEC 3), 32 bytes from the CSPRNG, base64url so they paste cleanly.</summary>
public static class SecretGenerator
{
    public const string TenantSecretPrefix = "bts_";
    public const string WidgetKeyPrefix = "bwk_";

    public static string NewTenantSecret() => TenantSecretPrefix + RandomToken();

    public static string NewWidgetKey() => WidgetKeyPrefix + RandomToken();

    public static string RandomToken(int bytes = 32) =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(bytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
