namespace Bloonio.Relay.Core.Attachments;

/// <summary>
/// The types an attachment may be, recognised by the file's first bytes (its magic number), never by its name or the
/// client's Content-Type: a renamed executable is what its bytes say it is.
/// </summary>
public static class FileTypes
{
    public sealed record FileType(string ContentType, bool IsImage);

    private static readonly FileType Png = new("image/png", true);
    private static readonly FileType Jpeg = new("image/jpeg", true);
    private static readonly FileType Gif = new("image/gif", true);
    private static readonly FileType Webp = new("image/webp", true);
    private static readonly FileType Pdf = new("application/pdf", false);

    public const string Allowed = "PNG, JPEG, GIF, WebP images and PDF documents";

    public static FileType? Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return Png;
        }

        if (data.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return Jpeg;
        }

        if (data.StartsWith("GIF87a"u8) || data.StartsWith("GIF89a"u8))
        {
            return Gif;
        }

        if (data.Length >= 12 && data.StartsWith("RIFF"u8) && data[8..12].SequenceEqual("WEBP"u8))
        {
            return Webp;
        }

        return data.StartsWith("%PDF-"u8) ? Pdf : null;
    }
}
