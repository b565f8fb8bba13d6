using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Web.Auth;
using Microsoft.AspNetCore.Authentication;

namespace Bloonio.Relay.Web.Http;

/// <summary>
/// Cross-origin hub traffic (SPEC 6's fallbacks): negotiate, long polling and server-sent events get CORS headers for an
/// origin that the token's tenant allows, so the widget can fall back from WebSockets on another site. A request from
/// an origin its tenant does not allow is refused (403 <c>origin_not_allowed</c>) whatever the transport, WebSocket
/// upgrades included, which browsers send without CORS. A preflight carries no token (the client sends it in a header
/// the preflight only names): it is answered for an origin that some active tenant allows, as for the widget API.
/// Same-origin pages (the operator inbox, /demo) and clients without an Origin (the .NET SDK, servers) pass through.
/// </summary>
public static class HubCors
{
    public static async Task HandleAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0 || IsSameOrigin(request, origin))
        {
            await next();
            return;
        }

        var tenants = context.RequestServices.GetRequiredService<ITenantRepository>();
        if (HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method"))
        {
            if (!await tenants.IsOriginAllowedByAnyActiveTenantAsync(origin, context.RequestAborted))
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }

            Allow(context, origin);
            context.Response.Headers.AccessControlAllowMethods = "GET, POST, DELETE";
            context.Response.Headers.AccessControlAllowHeaders = request.Headers.AccessControlRequestHeaders.ToString() is { Length: > 0 } asked
                ? asked
                : "Authorization, Content-Type, X-Requested-With, X-SignalR-User-Agent";
            context.Response.Headers.AccessControlMaxAge = "600";
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        var scheme = request.Path.StartsWithSegments("/hubs/operator") ? HubAuthentication.OperatorScheme : HubAuthentication.VisitorScheme;
        var authenticated = await context.AuthenticateAsync(scheme); // cached: the hub's own authorization reuses it
        if (authenticated.Principal is { } user && HubAuthentication.TenantOf(user) is { } tenantId)
        {
            var tenant = await tenants.GetAsync(tenantId, context.RequestAborted);
            if (tenant is null || !OriginPattern.IsAllowed(tenant.Configuration.AllowedOrigins, origin))
            {
                await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(403, null, $"Origin {origin} is not allowed", ErrorCodes.OriginNotAllowed),
                    context.RequestAborted);
                return;
            }

            Allow(context, origin);
        }
        else if (await tenants.IsOriginAllowedByAnyActiveTenantAsync(origin, context.RequestAborted))
        {
            Allow(context, origin); // so the page can read the hub's own 401 (an expired token, say) and fetch a new one
        }

        await next();
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
