using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Attachments;

/// <summary>
/// A file uploaded into a conversation by one of its participants (the visitor, an operator, the tenant's backend).
/// The caller's right to the session is checked by the door it came through; here: the tenant's <c>attachments</c>
/// flag, the session still open, the size limit, the type from the bytes, images that decode (a thumbnail is made), the
/// scanning hook. Nothing is stored unless all of it passes.
/// </summary>
public sealed record UploadAttachmentCommand(Guid TenantId, Guid SessionId, Participant Who, string? FileName, ReadOnlyMemory<byte> Data)
    : IRequest<AttachmentRef>, ITenantScoped;

public sealed class AttachmentOptions
{
    /// <summary>The largest file a tenant may upload unless its configuration says otherwise (10 MiB).</summary>
    public int DefaultMaxBytes { get; set; } = 10 * 1024 * 1024;

    public int ThumbnailSide { get; set; } = 320;

    /// <summary>Files one conversation may take a minute (a flood of uploads is refused, not buffered).</summary>
    public int UploadsPerMinute { get; set; } = 20;

    /// <summary>How long a signed download link works.</summary>
    public int LinkSeconds { get; set; } = 300;
}

public sealed class UploadAttachmentHandler(
    ITenantRepository tenants, AttachmentAccess access, IAttachmentRepository attachments, IAttachmentStorage storage, IImageProcessor images,
    IAttachmentScanner scanner, Quotas.IRateLimiter limiter, IOptions<AttachmentOptions> options, TimeProvider clock)
    : IRequestHandler<UploadAttachmentCommand, AttachmentRef>
{
    public async Task<AttachmentRef> Handle(UploadAttachmentCommand request, CancellationToken cancellationToken)
    {
        var tenant = await tenants.GetAsync(request.TenantId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        if (!tenant.Configuration.FeatureFlags.Attachments)
        {
            throw new ForbiddenException(ErrorCodes.AttachmentsDisabled, "Attachments are not enabled for this application");
        }

        var session = await access.RequireSessionAsync(request.TenantId, request.SessionId, request.Who, cancellationToken);
        if (session.Status == SessionStatuses.Closed)
        {
            throw new ConflictException(ErrorCodes.SessionClosed, "The conversation has ended");
        }

        var decision = await limiter.AcquireAsync($"attachments:{request.SessionId}", options.Value.UploadsPerMinute, cancellationToken);
        if (!decision.Allowed)
        {
            throw new Quotas.RateLimitedException(decision,
                $"More than {options.Value.UploadsPerMinute} files a minute in one conversation; wait {decision.ResetSeconds} s");
        }

        var limit = Math.Min(tenant.Configuration.MaxAttachmentBytes ?? options.Value.DefaultMaxBytes, TenantRules.MaxAttachmentBytes);
        var name = CleanName(request.FileName);
        var data = request.Data;
        if (data.Length == 0)
        {
            throw Invalid("file", "is empty");
        }

        if (data.Length > limit)
        {
            throw new RelayException(413, ErrorCodes.PayloadTooLarge, $"A file may be at most {limit / (1024.0 * 1024):0.#} MiB");
        }

        var type = FileTypes.Detect(data.Span) ?? throw Invalid("file", $"is not an accepted type ({FileTypes.Allowed}), whatever its name says");
        ProcessedImage? image = null;
        if (type.IsImage)
        {
            image = images.Process(data, options.Value.ThumbnailSide) ?? throw Invalid("file", "is not a readable image (damaged or incomplete)");
        }

        if (await scanner.ScanAsync(name, data, cancellationToken) is { } reason)
        {
            throw Invalid("file", $"was refused by the scanner: {reason}");
        }

        var attachment = new Attachment(Ids.New(clock), request.TenantId, request.SessionId, request.Who.Type, request.Who.Id, name,
            type.ContentType, data.Length, image?.Width, image?.Height, image is not null, null, clock.GetUtcNow());
        try
        {
            await storage.PutAsync(attachment.StorageKey, data, type.ContentType, cancellationToken);
            if (image is not null)
            {
                await storage.PutAsync(attachment.ThumbnailKey, image.Thumbnail, image.ThumbnailContentType, cancellationToken);
            }

            await attachments.InsertAsync(attachment, cancellationToken); // last: a row only once its bytes are stored
        }
        catch
        {
            // No bytes without a row: what was stored goes (best effort; the store may be what failed).
            try
            {
                await storage.DeleteAsync([attachment.StorageKey, attachment.ThumbnailKey], CancellationToken.None);
            }
            catch (Exception)
            {
                // the original failure is the one to report
            }

            throw;
        }
        return attachment.ToRef();
    }

    private static ValidationFailedException Invalid(string field, string message) => new([new FieldError(field, message)]);

    /// <summary>The name shown to the other side: its last path segment, without control characters, at most 200 characters.</summary>
    internal static string CleanName(string? fileName)
    {
        var name = Path.GetFileName((fileName ?? "").Replace('\\', '/'));
        name = new string(name.Where(c => !char.IsControl(c)).ToArray()).Trim();
        if (name.Length > 200)
        {
            name = name[..(char.IsHighSurrogate(name[199]) ? 199 : 200)]; // never half a character
        }

        return name.Length == 0 ? "file" : name;
    }
}
