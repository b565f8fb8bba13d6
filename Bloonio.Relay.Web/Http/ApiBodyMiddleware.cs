using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Web.Http;

/// <summary>The raw bytes of an API request, read once: HMAC#1 hashes exactly these, MVC binds from them.</summary>
public sealed record RequestBodyBytes(ReadOnlyMemory<byte> Bytes);

/// <summary>
/// SPEC 13: API bodies are at most 64 KiB (413 otherwise, whether Content-Length says so or the stream does).
/// The body is buffered so HMAC#1 can hash it before model binding reads it. Bodies are UTF-8 JSON (RFC 8259): a
/// Content-Type naming another charset, or bytes that are not UTF-8, are 400 <c>bad_request</c> before anything reads
/// them.
/// </summary>
public sealed class ApiBodyMiddleware(RequestDelegate next)
{
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>An upload's body: the largest attachment a tenant may be allowed, and room for the multipart framing.</summary>
    public const int MaxUploadBytes = Core.Tenants.TenantRules.MaxAttachmentBytes + 64 * 1024;

    /// <summary>A file upload (multipart, binary): up to <see cref="MaxUploadBytes"/>, not UTF-8.</summary>
    private static bool IsUpload(HttpContext context) =>
        HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Value!.EndsWith("/attachments", StringComparison.Ordinal)
        && context.Request.HasFormContentType;

    public async Task InvokeAsync(HttpContext context)
    {
        var upload = IsUpload(context);
        var max = upload ? MaxUploadBytes : MaxBodyBytes;
        if (context.Request.ContentLength > max)
        {
            throw new PayloadTooLargeException(max);
        }

        if (upload)
        {
            // Kestrel's own cap is a REST body's (64 KiB); an upload may be larger.
            if (context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = MaxUploadBytes;
            }

            if (!context.Request.Path.StartsWithSegments("/api/v1/relay"))
            {
                // A visitor's or an operator's upload: read by its endpoint once the token says who sends it, never before.
                await next(context);
                return;
            }
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max)
            {
                throw new PayloadTooLargeException(max);
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        if (upload)
        {
            context.Features.Set(new RequestBodyBytes(bytes)); // signed like any body (HMAC#1), parsed by the controller
            context.Request.Body = new MemoryStream(bytes, writable: false);
            await next(context);
            return;
        }

        if (bytes.Length > 0 && CharsetOf(context.Request.ContentType) is { } charset && !IsUtf8(charset))
        {
            throw new BadRequestException($"Bodies are UTF-8 JSON: charset \"{charset}\" is not supported (send charset=utf-8 or none)");
        }

        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new BadRequestException("The body is not valid UTF-8");
        }

        context.Features.Set(new RequestBodyBytes(bytes));
        context.Request.Body = new MemoryStream(bytes, writable: false);
        await next(context);
    }

    private static string? CharsetOf(string? contentType) =>
        contentType is not null && Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media)
            ? media.Charset.HasValue ? media.Charset.Value.Trim('"') : null
            : null;

    private static bool IsUtf8(string charset) =>
        charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase);
}
