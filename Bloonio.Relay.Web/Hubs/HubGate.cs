using System.Security.Claims;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Web.Auth;
using Bloonio.Relay.Web.Hosting;
using Bloonio.Relay.Web.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.Features;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The one door of <c>/hubs</c> (negotiate and every transport): cross-origin rules, a stopping node's refusal, the
/// token, the counting of open transports, in one middleware. A hub request lives as long as its connection, and every
/// middleware it goes through keeps its frame (and what it allocated) for that long: with ASP.NET Core's authentication
/// and authorization, the exception handler, status pages and Swagger UI in its way, an idle connection kept about
/// 4 KiB more than a bare SignalR hub's (docs/benchmarks.md, P3). Here it keeps one frame and the principal.
/// <list type="bullet">
/// <item>The token, through the hub's JwtBearer scheme (<see cref="HubAuthentication"/>: a Bearer header or the
/// <c>access_token</c> query parameter, the hub's own audience, an operator's membership and token version). A bad
/// token is 401 <c>unauthorized</c>; a membership check that cannot reach PostgreSQL is 503 with Retry-After (a client
/// told 401 would drop a token that is fine).</item>
/// <item>Cross-origin (SPEC 6's fallbacks): negotiate, long polling and server-sent events get CORS headers for an
/// origin the token's tenant allows; any other origin is refused (403 <c>origin_not_allowed</c>) whatever the
/// transport, WebSocket upgrades included, which browsers send without CORS. A preflight carries no token: it is
/// answered for an origin that some active tenant allows. Same-origin pages (the inbox, /demo) and clients without an
/// Origin (the .NET SDK, servers) need no CORS.</item>
/// <item>A stopping node takes no new hub request (503, Retry-After); the ones it has are counted until their transport
/// is done (a WebSocket's close handshake included), so the node waits for them.</item>
/// </list>
/// </summary>
public sealed class HubGate(RequestDelegate next, NodeDrain drain, IServiceScopeFactory scopes, DependencyOutages outages)
{
    public static bool IsHubRequest(HttpContext context) => context.Request.Path.StartsWithSegments("/hubs");

    /// <summary>A hub request that lasts (a transport), as opposed to negotiate.</summary>
    public static bool IsHubTransport(HttpContext context) =>
        IsHubRequest(context) && !context.Request.Path.Value!.EndsWith("/negotiate", StringComparison.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        // Admission in a method of its own: its frame (origin, tenant, token) is gone when the transport starts.
        bool admitted;
        try
        {
            admitted = await AdmitAsync(context);
        }
        catch (Exception ex) when (DependencyOutages.Cause(ex) is { } dependency)
        {
            // PostgreSQL away (a membership, a tenant, an origin to check): 503, as the REST side answers, never a bare 500.
            outages.Report(dependency, ex);
            context.Response.Headers.RetryAfter = DependencyOutages.RetryAfterSeconds.ToString();
            await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(503, null, $"{dependency} is unreachable; retry in a few seconds",
                ErrorCodes.DependencyUnavailable), context.RequestAborted);
            return;
        }

        if (!admitted)
        {
            return;
        }

        drain.TransportStarted();
        try
        {
            await next(context);
        }
        finally
        {
            drain.TransportEnded();
        }
    }

    /// <summary>True when the request may go on to the hub (with <c>context.User</c> set); false when answered here.</summary>
    private async Task<bool> AdmitAsync(HttpContext context)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        var crossOrigin = origin.Length > 0 && !IsSameOrigin(request, origin);
        if (crossOrigin && HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            await PreflightAsync(context, origin);
            return false;
        }

        if (drain.Draining)
        {
            context.Response.Headers.RetryAfter = DependencyOutages.RetryAfterSeconds.ToString();
            await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(503, null, "This node is shutting down; reconnect",
                ErrorCodes.DependencyUnavailable), context.RequestAborted);
            return false;
        }

        var user = await AuthenticateAsync(context);

        if (crossOrigin)
        {
            var tenants = context.RequestServices.GetRequiredService<ITenantRepository>();
            if (user is not null && HubAuthentication.TenantOf(user) is { } tenantId)
            {
                var tenant = await tenants.GetAsync(tenantId, context.RequestAborted);
                if (tenant is null || !OriginPattern.IsAllowed(tenant.Configuration.AllowedOrigins, origin))
                {
                    await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(403, null, $"Origin {origin} is not allowed", ErrorCodes.OriginNotAllowed),
                        context.RequestAborted);
                    return false;
                }

                Allow(context, origin);
            }
            else if (await tenants.IsOriginAllowedByAnyActiveTenantAsync(origin, context.RequestAborted))
            {
                Allow(context, origin); // so the page can read the 401 (an expired token, say) and fetch a new one
            }
        }

        if (user is null)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
            await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(401, null, "A valid token for this hub is required", ErrorCodes.Unauthorized),
                context.RequestAborted);
            return false;
        }

        context.User = user;
        return true;
    }

    /// <summary>
    /// The caller's principal through the hub's JwtBearer scheme (<see cref="HubAuthentication"/>), or null for a
    /// missing, invalid, expired or revoked token. The handler runs in a service scope of its own, disposed at once: in
    /// the request's scope it (and its result) would stay for the connection's lifetime.
    /// </summary>
    private async Task<ClaimsPrincipal?> AuthenticateAsync(HttpContext context)
    {
        var scheme = context.Request.Path.StartsWithSegments("/hubs/operator") ? HubAuthentication.OperatorScheme : HubAuthentication.VisitorScheme;
        // Through the feature, not context.RequestServices, whose getter would create the request's scope.
        var features = context.Features;
        var requestServices = features.Get<IServiceProvidersFeature>();
        await using var scope = scopes.CreateAsyncScope();
        features.Set<IServiceProvidersFeature>(new ServiceProvidersFeature { RequestServices = scope.ServiceProvider });
        AuthenticateResult result;
        try
        {
            result = await context.AuthenticateAsync(scheme);
        }
        finally
        {
            features.Set(requestServices);
        }

        if (result.Failure is { } failure && DependencyOutages.Cause(failure) is not null)
        {
            throw failure; // a membership check that could not reach PostgreSQL: 503, not 401
        }

        return result.Succeeded ? result.Principal : null;
    }

    private static async Task PreflightAsync(HttpContext context, string origin)
    {
        var tenants = context.RequestServices.GetRequiredService<ITenantRepository>();
        if (!await tenants.IsOriginAllowedByAnyActiveTenantAsync(origin, context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        Allow(context, origin);
        var headers = context.Response.Headers;
        headers.AccessControlAllowMethods = "GET, POST, DELETE";
        headers.AccessControlAllowHeaders = context.Request.Headers.AccessControlRequestHeaders.ToString() is { Length: > 0 } asked
            ? asked
            : "Authorization, Content-Type, X-Requested-With, X-SignalR-User-Agent";
        headers.AccessControlMaxAge = "600";
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private static void Allow(HttpContext context, string origin)
    {
        context.Response.Headers.AccessControlAllowOrigin = origin;
        context.Response.Headers.AccessControlAllowCredentials = "true"; // the JavaScript client sends credentials by default
        context.Response.Headers.Vary = "Origin";
    }

    /// <summary>The relay's own pages: the browser says so (Sec-Fetch-Site), or the Origin names this host.</summary>
    private static bool IsSameOrigin(HttpRequest request, string origin) =>
        request.Headers["Sec-Fetch-Site"] == "same-origin"
        || Uri.TryCreate(origin, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
