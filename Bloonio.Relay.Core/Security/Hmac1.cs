using System.Security.Cryptography;
using System.Text;

namespace Bloonio.Relay.Core.Security;

/// <summary>
/// The HMAC#1 recipe of SPEC 2, shared by incoming verification and outgoing webhooks:
/// <c>timestamp \n METHOD \n path_and_query \n hex(sha256(body))</c>, HMAC-SHA256 keyed with the tenant secret.
/// </summary>
public static class Hmac1
{
    public const string TenantIdHeader = "X-Bloonio-Tenant-Id";
    public const string TimestampHeader = "X-Bloonio-Timestamp";
    public const string SignatureHeader = "X-Bloonio-Signature";

    public static string BodyHash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    public static string Canonical(string timestamp, string method, string pathAndQuery, string bodyHash) =>
        $"{timestamp}\n{method.ToUpperInvariant()}\n{pathAndQuery}\n{bodyHash}";

    public static byte[] Compute(string secret, string canonical) =>
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(canonical));

    /// <summary>The header value for one secret: <c>v1=&lt;hex&gt;</c>.</summary>
    public static string Sign(string secret, string timestamp, string method, string pathAndQuery, ReadOnlySpan<byte> body) =>
        "v1=" + Convert.ToHexStringLower(Compute(secret, Canonical(timestamp, method, pathAndQuery, BodyHash(body))));

    /// <summary>
    /// Parses <c>v1=ab…,v1=cd…</c> or a bare hex digest into 32-byte signatures; null when the header is malformed.
    /// </summary>
    public static IReadOnlyList<byte[]>? ParseSignatures(string? header)
    {
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        var signatures = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var hex = part.StartsWith("v1=", StringComparison.Ordinal) ? part[3..] : part;
            if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
            {
                return null;
            }

            signatures.Add(Convert.FromHexString(hex));
        }

        return signatures.Count is > 0 and <= 8 ? signatures : null;
    }

    /// <summary>Constant-time: every candidate is compared with every expected digest.</summary>
    public static bool Matches(IReadOnlyList<byte[]> candidates, IReadOnlyList<byte[]> expected)
    {
        var match = false;
        foreach (var candidate in candidates)
        {
            foreach (var digest in expected)
            {
                match |= CryptographicOperations.FixedTimeEquals(candidate, digest);
            }
        }

        return match;
    }
}
