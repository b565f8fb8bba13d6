using Bloonio.Relay.Core.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Bloonio.Relay.Web.Http;

/// <summary>Responses that MVC ends without a body (unknown route, wrong method) still get the envelope under /api.</summary>
public static class ApiStatusCodes
{
    public static async Task WriteEnvelopeAsync(StatusCodeContext context)
    {
        var http = context.HttpContext;
        if (!http.Request.Path.StartsWithSegments("/api"))
        {
            return;
        }

        var status = http.Response.StatusCode;
        var envelope = status switch
        {
            404 => new ErrorEnvelope(404, null, $"No endpoint {http.Request.Method} {http.Request.Path}", ErrorCodes.NotFound),
            405 => new ErrorEnvelope(405, null, $"Method {http.Request.Method} is not allowed on {http.Request.Path}", ErrorCodes.MethodNotAllowed),
            415 => new ErrorEnvelope(400, null, "Content-Type must be application/json", ErrorCodes.BadRequest),
            _ => new ErrorEnvelope(status, null, "Request failed", status >= 500 ? ErrorCodes.InternalError : ErrorCodes.BadRequest),
        };
        await EnvelopeWriter.WriteAsync(http, envelope, http.RequestAborted);
    }
}
