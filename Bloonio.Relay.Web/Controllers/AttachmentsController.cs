using System.Security.Claims;
using Bloonio.Relay.Core.Attachments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Attachments;
using Bloonio.Relay.Web.Auth;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bloonio.Relay.Web.Controllers;

/// <summary>
/// Attachments (docs/attachments.md): uploaded (multipart, one <c>file</c> part) into a conversation by its visitor
/// (visitor token), an operator (operator token) or the backend (HMAC#1), then sent with a message by id. Their bytes are
/// fetched through short-lived signed links that only the conversation's participants get.
/// </summary>
[Tags("Attachments")]
public sealed class AttachmentsController(IMediator mediator, AttachmentLinks links) : RelayControllerBase(mediator)
{
    [HttpPost("api/v1/widget/attachments")]
    [ProducesResponseType<Envelope<AttachmentRef>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> VisitorUpload(CancellationToken ct)
    {
        var (tenantId, who) = await VisitorAsync();
        WidgetCors.Allow(HttpContext);
        return await UploadAsync(tenantId, who.SessionId!.Value, who, ct);
    }

    [HttpGet("api/v1/widget/attachments/{attachmentId:guid}/link")]
    [ProducesResponseType<Envelope<AttachmentLink>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> VisitorLink(Guid attachmentId, CancellationToken ct)
    {
        var (tenantId, who) = await VisitorAsync();
        WidgetCors.Allow(HttpContext);
        return await LinkAsync(tenantId, attachmentId, who, ct);
    }

    [HttpPost("api/v1/operator/attachments")]
    [ProducesResponseType<Envelope<AttachmentRef>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> OperatorUpload([FromQuery(Name = "session_id")] Guid sessionId, CancellationToken ct)
    {
        var (tenantId, who) = await OperatorAsync();
        return await UploadAsync(tenantId, sessionId, who, ct);
    }

    [HttpGet("api/v1/operator/attachments/{attachmentId:guid}/link")]
    [ProducesResponseType<Envelope<AttachmentLink>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> OperatorLink(Guid attachmentId, CancellationToken ct)
    {
        var (tenantId, who) = await OperatorAsync();
        return await LinkAsync(tenantId, attachmentId, who, ct);
    }

    [HttpPost("api/v1/relay/sessions/{sessionId:guid}/attachments")]
    [ProducesResponseType<Envelope<AttachmentRef>>(StatusCodes.Status201Created)]
    public Task<IActionResult> BackendUpload(Guid sessionId, CancellationToken ct) => UploadAsync(TenantId, sessionId, Participant.Backend, ct);

    [HttpGet("api/v1/relay/attachments/{attachmentId:guid}/link")]
    [ProducesResponseType<Envelope<AttachmentLink>>(StatusCodes.Status200OK)]
    public Task<IActionResult> BackendLink(Guid attachmentId, CancellationToken ct) => LinkAsync(TenantId, attachmentId, Participant.Backend, ct);

    /// <summary>The bytes, for a signed link that has not expired; anything else is 404.</summary>
    [HttpGet("api/v1/attachments/{attachmentId:guid}/content")]
    [Produces("application/octet-stream")]
    public async Task<IActionResult> Content(Guid attachmentId, [FromQuery] Guid tenant, [FromQuery] string? variant, [FromQuery] long expires,
        [FromQuery] string? sig, [FromServices] IAttachmentRepository attachments, [FromServices] IAttachmentStorage storage, CancellationToken ct)
    {
        variant ??= "original";
        if (variant is not ("original" or "thumbnail") || !links.IsValid(tenant, attachmentId, variant, expires, sig)
            || await attachments.FindAsync(tenant, attachmentId, ct) is not { } attachment
            || await storage.GetAsync(variant == "thumbnail" ? attachment.ThumbnailKey : attachment.StorageKey, ct) is not { } bytes)
        {
            throw new NotFoundException(ErrorCodes.NotFound, "Attachment not found");
        }

        // Never rendered as a page of the relay's origin; images inline (thumbnails in the widget), the rest downloaded.
        Response.Headers.ContentSecurityPolicy = "sandbox; default-src 'none'";
        Response.Headers.CacheControl = "private, max-age=300";
        Response.Headers.AccessControlAllowOrigin = "*"; // the link itself is the credential
        var contentType = variant == "thumbnail" ? "image/png" : attachment.ContentType;
        var inline = contentType.StartsWith("image/", StringComparison.Ordinal);
        var disposition = new Microsoft.Net.Http.Headers.ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(attachment.FileName);
        Response.Headers.ContentDisposition = disposition.ToString();
        return File(bytes, contentType);
    }

    private async Task<IActionResult> UploadAsync(Guid tenantId, Guid sessionId, Participant who, CancellationToken ct)
    {
        if (!Request.HasFormContentType)
        {
            throw new BadRequestException("Send the file as multipart/form-data, in a part named \"file\"");
        }

        IFormCollection form;
        try
        {
            form = await Request.ReadFormAsync(ct);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw new PayloadTooLargeException(ApiBodyMiddleware.MaxUploadBytes);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or BadHttpRequestException)
        {
            throw new BadRequestException("The upload is not a complete multipart/form-data body with one part named \"file\"");
        }

        var file = form.Files.GetFile("file") ?? throw new ValidationFailedException([new FieldError("file", "is required (a multipart part named \"file\")")]);
        using var buffer = new MemoryStream((int)file.Length);
        await file.CopyToAsync(buffer, ct);
        var created = await Mediator.Send(new UploadAttachmentCommand(tenantId, sessionId, who, file.FileName,
            new ReadOnlyMemory<byte>(buffer.GetBuffer(), 0, (int)buffer.Length)), ct);
        return Envelope(StatusCodes.Status201Created, created, "Attachment stored");
    }

    private async Task<IActionResult> LinkAsync(Guid tenantId, Guid attachmentId, Participant who, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, links.For(await Mediator.Send(new GetAttachmentQuery(tenantId, attachmentId, who), ct)), "Download link");

    private async Task<(Guid TenantId, Participant Who)> VisitorAsync()
    {
        var user = await AuthenticateAsync(HubAuthentication.VisitorScheme);
        var tenantId = Guid.Parse(user.FindFirst(RelayTokenNames.TenantId)!.Value);
        await RequireAllowedOriginAsync(tenantId);
        return (tenantId,
            Participant.Visitor(Guid.Parse(user.FindFirst(JwtRegisteredClaimNames.Sub)!.Value), Guid.Parse(user.FindFirst(RelayTokenNames.SessionId)!.Value)));
    }

    /// <summary>A page (an Origin) may use the visitor's token only if the token's tenant allows it, as for the hubs.</summary>
    private async Task RequireAllowedOriginAsync(Guid tenantId)
    {
        var origin = Request.Headers.Origin.ToString();
        if (origin.Length == 0 || Request.Headers["Sec-Fetch-Site"] == "same-origin")
        {
            return;
        }

        var tenant = await HttpContext.RequestServices.GetRequiredService<Core.Tenants.ITenantRepository>().GetAsync(tenantId, HttpContext.RequestAborted);
        if (tenant is null || !Core.Tenants.OriginPattern.IsAllowed(tenant.Configuration.AllowedOrigins, origin))
        {
            throw new ForbiddenException(ErrorCodes.OriginNotAllowed, $"Origin {origin} is not allowed");
        }
    }

    private async Task<(Guid TenantId, Participant Who)> OperatorAsync()
    {
        var user = await AuthenticateAsync(HubAuthentication.OperatorScheme);
        return (HubAuthentication.TenantOf(user)!.Value, Participant.Operator(HubAuthentication.SubjectOf(user)));
    }

    private async Task<ClaimsPrincipal> AuthenticateAsync(string scheme)
    {
        var result = await HttpContext.AuthenticateAsync(scheme);
        if (result.Failure is { } failure && Hosting.DependencyOutages.Cause(failure) is not null)
        {
            throw failure; // the membership check could not reach PostgreSQL: 503, not 401
        }

        return result.Succeeded ? result.Principal : throw new RelayException(401, ErrorCodes.Unauthorized, "A valid token is required (Authorization: Bearer …)");
    }
}
