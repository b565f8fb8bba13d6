using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Bloonio.Relay.Web.OpenApi;

/// <summary>Makes the generated schemas say what the relay writes, where its JSON settings mislead the generator.</summary>
internal sealed class RelaySchemaTransformer : IOpenApiSchemaTransformer
{
    private const JsonSchemaType Numeric = JsonSchemaType.Integer | JsonSchemaType.Number;

    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        // The web JSON defaults also read numbers from strings, which the generator reports as "integer or string
        // with a pattern". The relay writes numbers, so it documents numbers; the leniency stays, undocumented.
        if (schema.Type is { } type && (type & Numeric) != 0 && type.HasFlag(JsonSchemaType.String))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        // RelayJson's own DateTimeOffset converter hides the type from the generator, which keeps only the format.
        var clrType = context.JsonTypeInfo.Type;
        if (schema.Type is null && (Nullable.GetUnderlyingType(clrType) ?? clrType) == typeof(DateTimeOffset))
        {
            schema.Type = Nullable.GetUnderlyingType(clrType) is null ? JsonSchemaType.String : JsonSchemaType.String | JsonSchemaType.Null;
            schema.Format = "date-time";
        }

        return Task.CompletedTask;
    }
}
