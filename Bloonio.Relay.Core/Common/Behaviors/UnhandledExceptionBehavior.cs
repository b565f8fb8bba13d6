using MediatR;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Common.Behaviors;

/// <summary>
/// Logs a bug (any exception that is not a <see cref="RelayException"/>, nor a dependency that is down: the edge answers
/// that and the outage has its own warning) with the request's name.
/// </summary>
public sealed class UnhandledExceptionBehavior<TRequest, TResponse>(
    IDependencyFailures dependencies, ILogger<UnhandledExceptionBehavior<TRequest, TResponse>> logger)
    : IPipelineBehavior<TRequest, TResponse>
{
    public async Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        try
        {
            return await next();
        }
        catch (Exception ex) when (ex is not RelayException and not OperationCanceledException && dependencies.Cause(ex) is null)
        {
            // The request itself is not logged: it may carry personal data.
            logger.LogError(ex, "Unhandled exception in {RequestName}", typeof(TRequest).Name);
            throw;
        }
    }
}
