namespace Bloonio.Relay.Core.Attachments;

/// <summary>What a message says about an attachment it carries (in <c>messages.extras</c>, events, webhooks, History).</summary>
public sealed record AttachmentRef(Guid AttachmentId, string Name, string ContentType, int Size, int? Width, int? Height, bool Thumbnail);

/// <summary>An uploaded file's row.</summary>
public sealed record Attachment(
    Guid AttachmentId, Guid TenantId, Guid SessionId, string UploaderType, Guid? UploaderId, string FileName, string ContentType, int SizeBytes,
    int? Width, int? Height, bool HasThumbnail, string? ClaimedBy, DateTimeOffset CreatedAt)
{
    public AttachmentRef ToRef() => new(AttachmentId, FileName, ContentType, SizeBytes, Width, Height, HasThumbnail);

    public string StorageKey => AttachmentId.ToString("N");

    public string ThumbnailKey => AttachmentId.ToString("N") + "/thumbnail";
}

public static class UploaderTypes
{
    public const string Visitor = "visitor";
    public const string Operator = "operator";
    public const string Backend = "backend";
}

/// <summary>
/// Where attachments' bytes live. PostgreSQL (<c>attachment_blobs</c>) is the built-in default; an S3-compatible store
/// implements the same three calls (docs/attachments.md).
/// </summary>
public interface IAttachmentStorage
{
    Task PutAsync(string key, ReadOnlyMemory<byte> data, string contentType, CancellationToken ct);

    /// <returns>The bytes, or null when there is no such key.</returns>
    Task<byte[]?> GetAsync(string key, CancellationToken ct);

    Task DeleteAsync(IReadOnlyCollection<string> keys, CancellationToken ct);
}

public interface IAttachmentRepository
{
    Task InsertAsync(Attachment attachment, CancellationToken ct);

    Task<Attachment?> FindAsync(Guid tenantId, Guid attachmentId, CancellationToken ct);

    /// <summary>
    /// Takes these attachments for one send (<paramref name="claim"/>: the sender's client message id), all or none: each
    /// must be in the session, uploaded by this uploader, and free or already taken by the same claim (a retried send).
    /// </summary>
    /// <returns>The attachments in the order asked and the ids this call took (not already this claim's), or null when one of them cannot be taken.</returns>
    Task<(IReadOnlyList<Attachment> Taken, IReadOnlyList<Guid> Fresh)?> ClaimAsync(Guid tenantId, Guid sessionId, string uploaderType, Guid? uploaderId, IReadOnlyList<Guid> ids,
        string claim, CancellationToken ct);

    /// <summary>Gives back what a send took when the send was refused.</summary>
    Task ReleaseAsync(Guid tenantId, IReadOnlyList<Guid> ids, string claim, CancellationToken ct);

    /// <summary>Attachments of conversations closed before the cutoff (retention), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<Attachment>> ExpiredAsync(DateTimeOffset cutoff, int limit, CancellationToken ct);

    Task DeleteAsync(IReadOnlyCollection<Guid> ids, CancellationToken ct);
}

/// <summary>Decodes an image and makes its thumbnail; refuses what does not decode.</summary>
public interface IImageProcessor
{
    /// <returns>The image's size and a PNG or JPEG thumbnail (at most <paramref name="maxSide"/> on its longer side), or null when the bytes do not decode as an image.</returns>
    ProcessedImage? Process(ReadOnlyMemory<byte> data, int maxSide);
}

public sealed record ProcessedImage(int Width, int Height, byte[] Thumbnail, string ThumbnailContentType);

/// <summary>
/// The scanning hook: every upload is shown to it before it is stored. The default accepts everything; a tenant plugs an
/// antivirus through <c>Relay:Attachments:ScanCommand</c> (docs/attachments.md) or its own implementation.
/// </summary>
public interface IAttachmentScanner
{
    /// <returns>Null when the file is clean, else why it is refused.</returns>
    Task<string?> ScanAsync(string fileName, ReadOnlyMemory<byte> data, CancellationToken ct);
}

public sealed class AcceptingScanner : IAttachmentScanner
{
    public Task<string?> ScanAsync(string fileName, ReadOnlyMemory<byte> data, CancellationToken ct) => Task.FromResult<string?>(null);
}
