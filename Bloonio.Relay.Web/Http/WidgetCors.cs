using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Web.Http;

/// <summary>
/// CORS for the widget API, per tenant. A preflight carries no widget key, so it is answered for an origin that some
/// active tenant allows (the real request is then checked against its own tenant and gets CORS headers only if
/// allowed); any other origin gets no CORS headers, so the browser blocks it.
/// </summary>
public static class WidgetCors
{
    public static void Allow(HttpContext context)
    {
        if (context.Request.Headers.Origin.FirstOrDefault() is { Length: > 0 } origin)
        {
            context.Response.Headers.AccessControlAllowOrigin = origin;
            context.Response.Headers.Vary = "Origin";
        }
    }

    public static async Task HandlePreflightAsync(HttpContext context, Func<Task> next)
    {
        var request = context.Request;
        if (!HttpMethods.IsOptions(request.Method) || request.Headers.Origin.FirstOrDefault() is not { Length: > 0 } origin)
        {
            await next();
            return;
        }

        var tenants = context.RequestServices.GetRequiredService<ITenantRepository>();
        var allowed = await tenants.IsOriginAllowedByAnyActiveTenantAsync(origin, context.RequestAborted);
        context.Response.StatusCode = allowed ? StatusCodes.Status204NoContent : StatusCodes.Status403Forbidden;
        if (allowed)
        {
            Allow(context);
            context.Response.Headers.AccessControlAllowMethods = "GET, POST";
            context.Response.Headers.AccessControlAllowHeaders = "Content-Type, X-Bloonio-Widget-Key, Authorization"; // Authorization: attachments
            context.Response.Headers.AccessControlMaxAge = "600";
        }
    }
}
