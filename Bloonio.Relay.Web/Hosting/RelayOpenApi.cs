using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.OpenApi;

namespace Bloonio.Relay.Web.Hosting;

public static class RelayOpenApi
{
    public const string DocumentName = "v1";

    public static IServiceCollection AddRelayOpenApi(this IServiceCollection services)
    {
        // The document's schemas follow Microsoft.AspNetCore.Http.Json.JsonOptions, not MVC's: without this they would
        // show camelCase names the controllers never write.
        services.ConfigureHttpJsonOptions(o => RelayJson.Configure(o.SerializerOptions));
        services.AddOpenApi(DocumentName, o =>
        {
            o.AddDocumentTransformer<RelayDocumentTransformer>();
            o.AddOperationTransformer<RelayOperationTransformer>();
            o.AddSchemaTransformer<RelaySchemaTransformer>();
        });
        return services;
    }

    public static WebApplication MapRelayOpenApi(this WebApplication app)
    {
        app.MapOpenApi("/openapi/{documentName}.json");
        // Only in the way of its own paths (its middleware would otherwise stay in every hub connection's frames).
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/swagger"), swagger => swagger.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint($"/openapi/{DocumentName}.json", "Bloonio Chat Relay v1");
            o.RoutePrefix = "swagger";
            o.DocumentTitle = "Bloonio Chat Relay API";
        }));
        return app;
    }
}
