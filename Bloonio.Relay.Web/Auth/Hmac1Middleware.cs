using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Web.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Auth;

/// <summary>
/// Authenticates every <c>/api/v1/relay/*</c> request with HMAC#1, scopes the caller to its tenant, and applies the
/// tenant's backend_requests_per_minute (RateLimit-* headers on every answer, 429 with Retry-After past it).
/// </summary>
public sealed class Hmac1Middleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context, Hmac1Authenticator authenticator, CallerContext caller, IRateLimiter limiter,
        IOptions<QuotaDefaults> quotas)
    {
        var request = context.Request;
        var tenant = await authenticator.AuthenticateAsync(
            new Hmac1Request(
                request.Headers[Hmac1.TenantIdHeader], request.Headers[Hmac1.TimestampHeader], request.Headers[Hmac1.SignatureHeader],
                request.Method, PathAndQuery(context), context.Features.Get<RequestBodyBytes>()?.Bytes ?? ReadOnlyMemory<byte>.Empty),
            context.RequestAborted);

        var limit = quotas.Value.For(tenant.Quotas).BackendRequestsPerMinute;
        var decision = await limiter.AcquireAsync($"backend:{tenant.TenantId}", limit, context.RequestAborted);
        RateLimitHeaders.Write(context.Response, decision);
        if (!decision.Allowed)
        {
            throw new RateLimitedException(decision, $"More than {limit} backend requests per minute; retry in {decision.ResetSeconds} s");
        }

        caller.TenantId = tenant.TenantId;
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
