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
        app.UseExceptionHandler();
        app.UseStatusCodePages(ApiStatusCodes.WriteEnvelopeAsync);
        app.Use((context, next) =>
        {
            context.Response.Headers["X-Correlation-Id"] = context.TraceIdentifier;
            return next(context);
        });

        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api/v1/widget"), widget => widget.Use(WidgetCors.HandlePreflightAsync));
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/hubs"), hubs => hubs.Use(HubCors.HandleAsync));
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
        app.MapGet("/readyz", async (NpgsqlDataSource db, IServiceProvider services, CancellationToken ct) =>
        {
            var postgres = true;
            try
            {
                await using var command = db.CreateCommand("SELECT 1");
                await command.ExecuteScalarAsync(ct);
            }
            catch (NpgsqlException)
            {
                postgres = false;
            }

            var redis = services.GetService<Scaling.RedisConnection>() is { } backplane ? await backplane.PingAsync() : (bool?)null;
            var ready = postgres && redis != false;
            return Results.Json(new { status = ready ? "ready" : "not_ready", postgres = postgres ? "up" : "down",
                    redis = redis switch { null => "not configured", true => "up", false => "down" } },
                statusCode: ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).ExcludeFromDescription();
        return app;
    }
}
