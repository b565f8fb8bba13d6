using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Bloonio.Relay.Web.OpenApi;

/// <summary>What the whole document shares: its info, the two security schemes and the error envelope.</summary>
internal sealed class RelayDocumentTransformer : IOpenApiDocumentTransformer
{
    public const string Hmac1 = "hmac1";
    public const string AdminKey = "adminKey";
    public const string ErrorEnvelope = "ErrorEnvelope";

    private static readonly Dictionary<string, string> TagDescriptions = new()
    {
        ["Operators"] = "HMAC#1. Provision operators for the calling tenant, mint their tokens, deprovision and list them.",
        ["Admin"] = "Admin key. The platform admin's tenant API.",
    };

    public Task TransformAsync(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Bloonio Chat Relay",
            Version = "v1",
            Description = RelayApiText.Description,
        };

        document.AddComponent<IOpenApiSecurityScheme>(Hmac1, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.ApiKey,
            In = ParameterLocation.Header,
            Name = Core.Security.Hmac1.SignatureHeader,
            Description = RelayApiText.Hmac1Scheme,
        });
        document.AddComponent<IOpenApiSecurityScheme>(AdminKey, new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = RelayApiText.AdminKeyScheme,
        });

        // An action that declares ErrorEnvelope itself makes the generator register that id first; the references
        // already resolve to that instance, so it is reshaped in place rather than replaced.
        if (document.Components?.Schemas?.TryGetValue(ErrorEnvelope, out var generated) != true
            || generated is not OpenApiSchema errorEnvelope)
        {
            errorEnvelope = new OpenApiSchema();
            document.AddComponent<IOpenApiSchema>(ErrorEnvelope, errorEnvelope);
        }

        DescribeErrorEnvelope(errorEnvelope);

        foreach (var tag in document.Tags ?? Enumerable.Empty<OpenApiTag>())
        {
            if (tag.Name is { } name && TagDescriptions.TryGetValue(name, out var description))
            {
                tag.Description ??= description;
            }
        }

        return Task.CompletedTask;
    }

    // Written by hand, not generated from the record: data is always null here and correlation_id only on a 500,
    // which the record's types cannot say.
    private static void DescribeErrorEnvelope(OpenApiSchema schema)
    {
        schema.Type = JsonSchemaType.Object;
        schema.Description = "Every error response (SPEC 1). `status_code` equals the HTTP status; `error_code` is stable.";
        schema.Required = new HashSet<string> { "status_code", "data", "message", "error_code" };
        schema.Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["status_code"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status." },
            ["data"] = new OpenApiSchema { Type = JsonSchemaType.Null, Description = "Always null on an error." },
            ["message"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "For people; may change." },
            ["error_code"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "For programs: `bad_request`, `validation_failed`, `invalid_signature`, …",
                Examples = [JsonValue.Create("validation_failed")],
            },
            ["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Array,
                Description = "The failing fields, on 422 `validation_failed` (every one of them) and on some 400s.",
                Items = new OpenApiSchema
                {
                    Type = JsonSchemaType.Object,
                    Required = new HashSet<string> { "field", "message" },
                    Properties = new Dictionary<string, IOpenApiSchema>
                    {
                        ["field"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The JSON field, in snake_case (`routing_keys[0]`)." },
                        ["message"] = new OpenApiSchema { Type = JsonSchemaType.String },
                    },
                },
            },
            ["correlation_id"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "Only on a 500: quote it to support (also the `X-Correlation-Id` response header).",
            },
        };
    }
}
