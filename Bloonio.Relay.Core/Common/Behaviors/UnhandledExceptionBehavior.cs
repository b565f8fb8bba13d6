using MediatR;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Common.Behaviors;

/// <summary>Logs a bug (any exception that is not a <see cref="RelayException"/>) with the request's name.</summary>
public sealed class UnhandledExceptionBehavior<TRequest, TResponse>(ILogger<UnhandledExceptionBehavior<TRequest, TResponse>> logger)
    : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        try
        {
            return await next();
        }
        catch (Exception ex) when (ex is not RelayException and not OperationCanceledException)
        {
            // The request itself is not logged: it may carry personal data.
            logger.LogError(ex, "Unhandled exception in {RequestName}", typeof(TRequest).Name);
            throw;
        }
    }
}
