using Bloonio.Relay.Web.Observability;
using Bloonio.Relay.Web.Auth;
using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.Hubs;
using Npgsql;

namespace Bloonio.Relay.Web.Hosting;

public static class RelayPipeline
{
    private const string AuthenticationMiddlewareSetKey = "__AuthenticationMiddlewareSet";
    private const string AuthorizationMiddlewareSetKey = "__AuthorizationMiddlewareSet";

    public static WebApplication UseRelay(this WebApplication app)
    {
        // Created now, not on first use: with Redis it subscribes to the other nodes' membership and suspension events.
        app.Services.GetRequiredService<Scaling.ClusterMembershipListener>();
        app.UseRelaySecurityHeaders(); // forwarded headers first; then headers on every answer, errors included
        app.UseRelayObservability(); // /metrics, and a summary line per REST call (around the exception handler: final statuses)
        // A hub transport lives as long as its connection and keeps the frame of every middleware it passes through:
        // it skips what only REST answers need (HubGate: its door; docs/benchmarks.md, P3).
        app.UseWhen(c => !HubGate.IsHubTransport(c), rest =>
        {
            rest.UseExceptionHandler();
            rest.UseStatusCodePages(ApiStatusCodes.WriteEnvelopeAsync);
        });
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/widget"), widget => widget.Use(WidgetCors.HandlePreflightAsync));
        app.UseWhen(HubGate.IsHubRequest, hubs => hubs.UseMiddleware<HubGate>());
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api"), api => api.UseMiddleware<ApiBodyMiddleware>());
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/relay"), api => api.UseMiddleware<Hmac1Middleware>());
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/admin"), api => api.UseMiddleware<AdminKeyMiddleware>());

        app.UseStaticFiles();
        app.MapGet("/operator", () => Results.File(Path.Combine(app.Environment.WebRootPath, "operator", "index.html"), "text/html; charset=utf-8"))
            .ExcludeFromDescription();
        app.MapGet("/demo", DemoPage.RenderAsync).ExcludeFromDescription();
        // Authentication and authorization for the rest only: HubGate runs the hubs' schemes. WebApplication adds both
        // middlewares in front of everything unless the app has (its own flags, which a branch's calls do not set).
        var properties = ((IApplicationBuilder)app).Properties;
        properties[AuthenticationMiddlewareSetKey] = true;
        properties[AuthorizationMiddlewareSetKey] = true;
        app.UseWhen(c => !HubGate.IsHubRequest(c), rest =>
        {
            rest.UseAuthentication();
            rest.UseAuthorization();
        });
        app.MapControllers();
        app.MapHub<VisitorHub>("/hubs/visitor");
        app.MapHub<OperatorHub>("/hubs/operator");
        app.MapRelayOpenApi();
        app.MapGet("/healthz", () => Results.Json(new { status = "ok" })).ExcludeFromDescription();
        app.MapGet("/readyz", (Readiness readiness, CancellationToken ct) => readiness.CheckAsync(ct)).ExcludeFromDescription();
        return app;
    }
}
