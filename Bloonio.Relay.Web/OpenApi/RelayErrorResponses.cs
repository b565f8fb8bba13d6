using System.Text.Json.Nodes;
using Bloonio.Relay.Core.Common;
using Microsoft.OpenApi;

namespace Bloonio.Relay.Web.OpenApi;

internal enum ApiArea
{
    None,
    Relay,
    Admin,
    Other,
}

/// <summary>One documented error status: what it means here and the <c>error_code</c>s it can carry.</summary>
internal sealed record ErrorResponse(int Status, string Meaning, IReadOnlyList<string> Codes)
{
    public OpenApiResponse ToResponse(OpenApiDocument document) => new()
    {
        Description = $"{Meaning} `error_code`: {string.Join(", ", Codes.Select(c => $"`{c}`"))}.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new()
            {
                Schema = new OpenApiSchemaReference(RelayDocumentTransformer.ErrorEnvelope, document),
                Examples = Codes.ToDictionary(c => c, IOpenApiExample (c) => new OpenApiExample { Value = Example(c) }),
            },
        },
    };

    private JsonObject Example(string code)
    {
        var example = new JsonObject
        {
            ["status_code"] = Status,
            ["data"] = null,
            ["message"] = RelayErrorResponses.Messages.GetValueOrDefault(code, "Request failed"),
            ["error_code"] = code,
        };
        if (code == ErrorCodes.ValidationFailed)
        {
            example["errors"] = new JsonArray(
                new JsonObject { ["field"] = "email", ["message"] = "must be a valid email address" });
        }
        else if (code == ErrorCodes.InternalError)
        {
            example["correlation_id"] = "0HNE4R5L9F2QK:00000001";
        }

        return example;
    }
}

/// <summary>
/// The errors the pipeline can answer on each route (SPEC 1, 2, 4, 12): the HMAC#1 and admin-key middleware, the body
/// limit, model binding, validation and the handlers' own not-found and forbidden cases.
/// </summary>
internal static class RelayErrorResponses
{
    public static readonly IReadOnlyDictionary<string, string> Messages = new Dictionary<string, string>
    {
        [ErrorCodes.BadRequest] = "Malformed JSON",
        [ErrorCodes.Unauthorized] = "A valid admin API key is required (Authorization: Bearer <key>)",
        [ErrorCodes.Forbidden] = "Forbidden",
        [ErrorCodes.NotFound] = "Not found",
        [ErrorCodes.PayloadTooLarge] = "Request body must be at most 64 KiB",
        [ErrorCodes.ValidationFailed] = "Validation failed",
        [ErrorCodes.InternalError] = "Internal error; quote the correlation id to support",
        [ErrorCodes.MissingSignature] = "X-Bloonio-Tenant-Id, X-Bloonio-Timestamp (unix ms) and X-Bloonio-Signature (v1=<hex>) are required",
        [ErrorCodes.UnknownTenant] = "Unknown tenant",
        [ErrorCodes.InvalidSignature] = "Invalid signature",
        [ErrorCodes.TimestampOutOfWindow] = "X-Bloonio-Timestamp must be within 300 seconds of the relay's clock (unix milliseconds)",
        [ErrorCodes.ReplayedRequest] = "This signed request was already accepted; sign the retry again with a fresh timestamp",
        [ErrorCodes.TenantSuspended] = "Tenant is suspended",
        [ErrorCodes.MembershipInactive] = "Operator has no active membership in this tenant",
        [ErrorCodes.OperatorNotFound] = "Operator not found",
        [ErrorCodes.TenantNotFound] = "Tenant not found",
    };

    public static ApiArea AreaOf(string path) =>
        Under(path, "/api/v1/relay") ? ApiArea.Relay
        : Under(path, "/api/v1/admin") ? ApiArea.Admin
        : Under(path, "/api") ? ApiArea.Other
        : ApiArea.None;

    public static IEnumerable<ErrorResponse> For(ApiArea area, string method, string path)
    {
        var route = $"{method.ToUpperInvariant()} {path}";
        yield return new(400, "Malformed JSON, a body of the wrong JSON type or a content type other than `application/json`.",
            [ErrorCodes.BadRequest]);

        yield return area == ApiArea.Relay
            ? new(401, "HMAC#1 authentication failed: sign the request again (with a fresh timestamp) after fixing the cause.",
                [ErrorCodes.MissingSignature, ErrorCodes.UnknownTenant, ErrorCodes.InvalidSignature, ErrorCodes.TimestampOutOfWindow,
                    ErrorCodes.ReplayedRequest])
            : area == ApiArea.Admin
                ? new(401, "The admin API key is missing or wrong, or the admin API is off.", [ErrorCodes.Unauthorized])
                : new(401, "Authentication failed.", [ErrorCodes.Unauthorized]);

        yield return area == ApiArea.Relay
            ? new(403, "Authenticated, but not allowed.",
                route == "POST /api/v1/relay/fetch/operator-token"
                    ? [ErrorCodes.TenantSuspended, ErrorCodes.MembershipInactive]
                    : [ErrorCodes.TenantSuspended])
            : new(403, "Authenticated, but not allowed.", [ErrorCodes.Forbidden]);

        yield return new(404, "Not found; an id of another tenant is not found too.", route switch
        {
            "POST /api/v1/relay/fetch/operator-token" or "POST /api/v1/relay/deprovision/operator" => [ErrorCodes.OperatorNotFound],
            _ when area == ApiArea.Admin && path.Contains("{tenantId}", StringComparison.Ordinal) => [ErrorCodes.TenantNotFound],
            _ => [ErrorCodes.NotFound],
        });

        yield return new(413, "The body is larger than 64 KiB.", [ErrorCodes.PayloadTooLarge]);
        yield return new(422, "Validation failed; `errors` lists every failing field.", [ErrorCodes.ValidationFailed]);
        yield return new(500, "A bug, never the answer to bad input; quote `correlation_id` to support.", [ErrorCodes.InternalError]);
    }

    private static bool Under(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
        && (path.Length == prefix.Length || path[prefix.Length] == '/');
}
