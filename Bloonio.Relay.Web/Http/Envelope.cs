using System.Text.Json.Serialization;
using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Web.Http;

/// <summary>SPEC 1: every REST response, success or error. <c>status_code</c> always equals the HTTP status.</summary>
public sealed record Envelope<T>(int StatusCode, T? Data, string Message);

public sealed record ErrorEnvelope(
    int StatusCode,
    object? Data,
    string Message,
    string ErrorCode,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<FieldError>? Errors = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? CorrelationId = null);
