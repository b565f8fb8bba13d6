namespace Bloonio.Relay.Web.Hosting;

public static class RelayOpenApi
{
    public static IServiceCollection AddRelayOpenApi(this IServiceCollection services)
    {
        services.AddOpenApi("v1");
        return services;
    }

    public static WebApplication MapRelayOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "Bloonio Chat Relay v1");
            o.RoutePrefix = "swagger";
            o.DocumentTitle = "Bloonio Chat Relay API";
        });
        return app;
    }
}
