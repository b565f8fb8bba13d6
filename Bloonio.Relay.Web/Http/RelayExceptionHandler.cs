using Bloonio.Relay.Core.Common;
using Microsoft.AspNetCore.Diagnostics;

namespace Bloonio.Relay.Web.Http;

/// <summary>
/// The one place where an HTTP failure becomes the envelope: domain exceptions keep their status and code, request
/// parsing failures become 400/413, a dependency that is down 503 with Retry-After (one warning per outage), anything
/// else is a bug: 500 with a correlation id and no internals.
/// </summary>
public sealed class RelayExceptionHandler(Hosting.DependencyOutages outages, ILogger<RelayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var envelope = exception switch
        {
            ValidationFailedException v => new ErrorEnvelope(v.StatusCode, null, v.Message, v.ErrorCode, v.Errors),
            BadRequestException b => new ErrorEnvelope(b.StatusCode, null, b.Message, b.ErrorCode, b.Errors.Count > 0 ? b.Errors : null),
            RelayException r => new ErrorEnvelope(r.StatusCode, null, r.Message, r.ErrorCode),
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                new ErrorEnvelope(413, null, "Request body is too large", ErrorCodes.PayloadTooLarge),
            BadHttpRequestException b => new ErrorEnvelope(b.StatusCode, null, "Malformed request", ErrorCodes.BadRequest),
            _ when Hosting.DependencyOutages.Cause(exception) is { } dependency => Unavailable(httpContext, exception, dependency),
            _ => null,
        };

        if (envelope?.StatusCode == 429)
        {
            RelayTelemetry.Refused(envelope.ErrorCode ?? ErrorCodes.RateLimited);
        }

        if (envelope is null)
        {
            if (exception is OperationCanceledException && httpContext.RequestAborted.IsCancellationRequested)
            {
                return true; // the client went away; nobody is left to answer
            }

            logger.LogError(exception, "Unhandled exception {CorrelationId} on {Method} {Path}",
                httpContext.TraceIdentifier, httpContext.Request.Method, httpContext.Request.Path);
            envelope = new ErrorEnvelope(500, null, "Internal error; quote the correlation id to support",
                ErrorCodes.InternalError, CorrelationId: httpContext.TraceIdentifier);
        }

        switch (exception)
        {
            case Core.Quotas.RateLimitedException limited:
                RateLimitHeaders.Write(httpContext.Response, limited.Decision);
                break;
            case Core.Quotas.QuotaExceededException quota:
                httpContext.Response.Headers.RetryAfter = Math.Max(1, quota.RetryAfterSeconds).ToString();
                break;
            case UnavailableException:
                httpContext.Response.Headers.RetryAfter = Hosting.DependencyOutages.RetryAfterSeconds.ToString();
                break;
        }

        await EnvelopeWriter.WriteAsync(httpContext, envelope, cancellationToken);
        return true;
    }

    private ErrorEnvelope Unavailable(HttpContext httpContext, Exception exception, string dependency)
    {
        outages.Report(dependency, exception);
        httpContext.Response.Headers.RetryAfter = Hosting.DependencyOutages.RetryAfterSeconds.ToString();
        return new ErrorEnvelope(503, null, $"{dependency} is unreachable; retry in a few seconds", ErrorCodes.DependencyUnavailable);
    }
}

public static class EnvelopeWriter
{
    public static async Task WriteAsync(HttpContext httpContext, ErrorEnvelope envelope, CancellationToken ct)
    {
        httpContext.Response.StatusCode = envelope.StatusCode;
        if (envelope.StatusCode == StatusCodes.Status401Unauthorized && httpContext.Request.Path.StartsWithSegments("/api/v1/admin"))
        {
            httpContext.Response.Headers.WWWAuthenticate = "Bearer";
        }

        await httpContext.Response.WriteAsJsonAsync(envelope, RelayJson.Options, ct);
    }
}
