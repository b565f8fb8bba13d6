using Microsoft.IdentityModel.Tokens;

namespace Bloonio.Relay.Web.Configuration;

/// <summary>
/// <c>Relay:Jwt:SigningKeys</c>: every key verifies, one signs. Rotating means adding a new key first, then removing
/// the old one once the tokens it signed have expired (7 days for operators, 12 h for visitors).
/// </summary>
public sealed class JwtKeyRing(SymmetricSecurityKey signer, IReadOnlyList<SymmetricSecurityKey> all)
{
    public SymmetricSecurityKey Signer { get; } = signer;
    public IReadOnlyList<SymmetricSecurityKey> All { get; } = all;

    /// <summary>Returns an error message, or null with the parsed ring.</summary>
    public static string? TryParse(IConfigurationSection jwt, out JwtKeyRing ring)
    {
        ring = null!;
        var section = jwt.GetSection("SigningKeys");
        List<(string Id, string Key)> entries = section.Value is { Length: > 0 } inline
            ? inline.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(e => e.Split('=', 2)).Select(p => (p[0], p.Length == 2 ? p[1] : "")).ToList()
            : section.GetChildren().Select(c => (c.Key, c.Value ?? "")).ToList();
        if (entries.Count == 0)
        {
            return "Relay:Jwt:SigningKeys (key ring: id=base64,… with keys of at least 32 bytes)";
        }

        var keys = new List<SymmetricSecurityKey>();
        foreach (var (id, base64) in entries)
        {
            var bytes = new byte[base64.Length];
            if (!Convert.TryFromBase64String(base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '='), bytes, out var n) || n < 32)
            {
                return $"Relay:Jwt:SigningKeys: key '{id}' must be base64 of at least 32 bytes";
            }

            keys.Add(new SymmetricSecurityKey(bytes[..n]) { KeyId = id });
        }

        var activeId = jwt["ActiveKeyId"];
        var signer = activeId is null ? keys[0] : keys.FirstOrDefault(k => k.KeyId == activeId);
        if (signer is null)
        {
            return $"Relay:Jwt:ActiveKeyId '{activeId}' is not in Relay:Jwt:SigningKeys";
        }

        ring = new JwtKeyRing(signer, keys);
        return null;
    }
}
