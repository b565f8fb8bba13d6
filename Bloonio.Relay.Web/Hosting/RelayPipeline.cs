using Bloonio.Relay.Web.Observability;
using Bloonio.Relay.Web.Auth;
using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.Hubs;
using Npgsql;

namespace Bloonio.Relay.Web.Hosting;

public static class RelayPipeline
{
    public static WebApplication UseRelay(this WebApplication app)
    {
        // Created now, not on first use: with Redis it subscribes to the other nodes' membership and suspension events.
        app.Services.GetRequiredService<Scaling.ClusterMembershipListener>();
        app.UseRelaySecurityHeaders(); // forwarded headers first; then headers on every answer, errors included
        app.UseRelayObservability(); // /metrics, and a summary line per REST call (around the exception handler: final statuses)
        app.UseExceptionHandler();
        app.UseStatusCodePages(ApiStatusCodes.WriteEnvelopeAsync);

        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/widget"), widget => widget.Use(WidgetCors.HandlePreflightAsync));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/hubs"), hubs => hubs.Use(HubCors.HandleAsync));
        var drain = app.Services.GetRequiredService<NodeDrain>();
        app.UseWhen(c => drain.Draining && c.Request.Path.StartsWithSegments("/hubs"), hubs => hubs.Run(async context =>
        {
            // A node that is stopping takes no new hub connection: the client tries again (another node, or this one back).
            context.Response.Headers.RetryAfter = DependencyOutages.RetryAfterSeconds.ToString();
            await EnvelopeWriter.WriteAsync(context, new ErrorEnvelope(503, null, "This node is shutting down; reconnect",
                Core.Common.ErrorCodes.DependencyUnavailable), context.RequestAborted);
        }));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/hubs"), hubs => hubs.Use(async (context, next) =>
        {
            // Counted until the transport is done (a WebSocket's close handshake included), so a stopping node waits for it.
            drain.TransportStarted();
            try
            {
                await next(context);
            }
            finally
            {
                drain.TransportEnded();
            }
        }));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), api => api.UseMiddleware<ApiBodyMiddleware>());
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/relay"), api => api.UseMiddleware<Hmac1Middleware>());
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/admin"), api => api.UseMiddleware<AdminKeyMiddleware>());

        app.UseStaticFiles();
        app.MapGet("/operator", () => Results.File(Path.Combine(app.Environment.WebRootPath, "operator", "index.html"), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapGet("/demo", DemoPage.RenderAsync).ExcludeFromDescription();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapControllers();
        app.MapHub<VisitorHub>("/hubs/visitor");
        app.MapHub<OperatorHub>("/hubs/operator");
        app.MapRelayOpenApi();
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" })).ExcludeFromDescription();
        app.MapGet("/readyz", (Readiness readiness, CancellationToken ct) => readiness.CheckAsync(ct)).ExcludeFromDescription();
        return app;
    }
}
