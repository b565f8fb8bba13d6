using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Web.Http;

/// <summary>The raw bytes of an API request, read once: HMAC#1 hashes exactly these, MVC binds from them.</summary>
public sealed record RequestBodyBytes(ReadOnlyMemory<byte> Bytes);

/// <summary>
/// SPEC 13: API bodies are at most 64 KiB (413 otherwise, whether Content-Length says so or the stream does).
/// The body is buffered so HMAC#1 can hash it before model binding reads it.
/// </summary>
public sealed class ApiBodyMiddleware(RequestDelegate next)
{
    public const int MaxBodyBytes = 64 * 1024;

    public async Task InvokeAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBodyBytes)
        {
            throw new PayloadTooLargeException(MaxBodyBytes);
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new PayloadTooLargeException(MaxBodyBytes);
            }

            buffer.Write(chunk, 0, read);
        }

        var bytes = buffer.ToArray();
        context.Features.Set(new RequestBodyBytes(bytes));
        context.Request.Body = new MemoryStream(bytes, writable: false);
        await next(context);
    }
}
