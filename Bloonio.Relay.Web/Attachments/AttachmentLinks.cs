using System.Security.Cryptography;
using System.Text;
using Bloonio.Relay.Core.Attachments;
using Bloonio.Relay.Web.Configuration;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Attachments;

public sealed record AttachmentLink(string Url, string? ThumbnailUrl, long ExpiresAt);

/// <summary>
/// Short-lived signed download links (<c>/api/v1/attachments/{id}/content?…&amp;sig=…</c>), handed only to the
/// conversation's participants by the link endpoints. The signature (HMAC-SHA-256 with a key derived from the relay's
/// JWT key ring, so every node checks every other's and a key rotation keeps recent links working) covers the tenant,
/// the attachment, the variant and the expiry: change any of them and the link is 404.
/// </summary>
public sealed class AttachmentLinks(JwtKeyRing keys, IOptions<AttachmentOptions> options, TimeProvider clock)
{
    public AttachmentLink For(Attachment attachment)
    {
        var expires = clock.GetUtcNow().AddSeconds(options.Value.LinkSeconds).ToUnixTimeSeconds();
        return new AttachmentLink(Url(attachment, "original", expires), attachment.HasThumbnail ? Url(attachment, "thumbnail", expires) : null, expires);
    }

    public bool IsValid(Guid tenantId, Guid attachmentId, string variant, long expires, string? signature)
    {
        if (signature is null || expires < clock.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature);
        }
        catch (FormatException)
        {
            return false;
        }

        return keys.All.Any(key => CryptographicOperations.FixedTimeEquals(Sign(key.Key, tenantId, attachmentId, variant, expires), given));
    }

    private string Url(Attachment a, string variant, long expires) =>
        $"/api/v1/attachments/{a.AttachmentId}/content?tenant={a.TenantId}&variant={variant}&expires={expires}" +
        $"&sig={Convert.ToHexString(Sign(keys.Signer.Key, a.TenantId, a.AttachmentId, variant, expires)).ToLowerInvariant()}";

    private static byte[] Sign(byte[] jwtKey, Guid tenantId, Guid attachmentId, string variant, long expires)
    {
        var key = HMACSHA256.HashData(jwtKey, "bloonio attachment links"u8);
        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{tenantId:N}:{attachmentId:N}:{variant}:{expires}"));
    }
}
