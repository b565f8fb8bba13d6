using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Web.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Bloonio.Relay.Web.Auth;

/// <summary>Authenticates every <c>/api/v1/relay/*</c> request with HMAC#1 and scopes the caller to its tenant.</summary>
public sealed class Hmac1Middleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, Hmac1Authenticator authenticator, CallerContext caller)
    {
        var request = context.Request;
        var tenantId = await authenticator.AuthenticateAsync(
            new Hmac1Request(
                request.Headers[Hmac1.TenantIdHeader], request.Headers[Hmac1.TimestampHeader], request.Headers[Hmac1.SignatureHeader],
                request.Method, PathAndQuery(context), context.Features.Get<RequestBodyBytes>()?.Bytes ?? ReadOnlyMemory<byte>.Empty),
            context.RequestAborted);

        caller.TenantId = tenantId;
        caller.Actor = "tenant-backend";
        await next(context);
    }

    /// <summary>The request target exactly as the client sent it (its own percent-encoding), as SPEC 2 signs it.</summary>
    private static string PathAndQuery(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        return string.IsNullOrEmpty(raw) || !raw.StartsWith('/')
            ? context.Request.PathBase + context.Request.Path + context.Request.QueryString
            : raw;
    }
}
