using System.Globalization;
using System.Text.Json.Nodes;
using Bloonio.Relay.Core.Security;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Bloonio.Relay.Web.OpenApi;

/// <summary>
/// Per operation, from its route: the security requirement, the HMAC#1 headers under <c>/api/v1/relay</c> (the
/// middleware reads them, so no action declares them) and the error envelopes the pipeline can answer with.
/// </summary>
internal sealed class RelayOperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var path = "/" + (context.Description.RelativePath ?? "").Split('?')[0].TrimStart('/');
        var area = RelayErrorResponses.AreaOf(path);
        if (area == ApiArea.None || context.Document is not { } document)
        {
            return Task.CompletedTask;
        }

        if (area == ApiArea.Relay)
        {
            Require(operation, document, RelayDocumentTransformer.Hmac1);
            AddHmac1Headers(operation);
        }
        else if (area == ApiArea.Admin)
        {
            Require(operation, document, RelayDocumentTransformer.AdminKey);
        }

        operation.Responses ??= [];
        var method = context.Description.HttpMethod ?? "GET";
        foreach (var error in RelayErrorResponses.For(area, method, path))
        {
            // An action's own declaration of a status wins: it knows better than a route-wide default.
            operation.Responses.TryAdd(error.Status.ToString(CultureInfo.InvariantCulture), error.ToResponse(document));
        }

        return Task.CompletedTask;
    }

    private static void Require(OpenApiOperation operation, OpenApiDocument document, string scheme)
    {
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(scheme, document)] = [] });
    }

    private static void AddHmac1Headers(OpenApiOperation operation)
    {
        operation.Parameters ??= [];
        IOpenApiParameter[] headers =
        [
            Header(Hmac1.TenantIdHeader, "The calling tenant's UUID.",
                new OpenApiSchema { Type = JsonSchemaType.String, Format = "uuid" }, "019e4af0-0000-7000-8000-000000000000"),
            Header(Hmac1.TimestampHeader,
                "When the request was signed: unix epoch **milliseconds**, decimal digits; within ±300 s of the relay's clock.",
                new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]{1,19}$" }, "1718960000000"),
            Header(Hmac1.SignatureHeader,
                "`v1=` + lowercase hex HMAC-SHA256 of `timestamp\\nMETHOD\\npath_and_query\\nhex(sha256(body))`, keyed with the " +
                "tenant secret. Up to 8 may be sent comma-separated (`v1=ab…,v1=cd…`); one valid is enough. Good for one request only.",
                new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Pattern = "^(v1=)?[0-9A-Fa-f]{64}(\\s*,\\s*(v1=)?[0-9A-Fa-f]{64}){0,7}$",
                },
                "v1=5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592"),
        ];

        foreach (var header in headers)
        {
            if (!operation.Parameters.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, header.Name, StringComparison.OrdinalIgnoreCase)))
            {
                operation.Parameters.Add(header);
            }
        }
    }

    private static OpenApiParameter Header(string name, string description, OpenApiSchema schema, string example) => new()
    {
        Name = name,
        In = ParameterLocation.Header,
        Required = true,
        Description = description,
        Schema = schema,
        Example = JsonValue.Create(example),
    };
}
