using Bloonio.Relay.Core.Common;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The one place a hub failure becomes <c>code: message</c> (SPEC 6), from the same domain exceptions as REST;
/// the connection stays usable. Anything else is a bug: logged, and the client sees only a correlation id.
/// </summary>
public sealed class HubErrorFilter(ILogger<HubErrorFilter> logger) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        try
        {
            return await next(context);
        }
        catch (ValidationFailedException ex)
        {
            throw new HubException($"{ex.ErrorCode}: {string.Join("; ", ex.Errors.Select(e => $"{e.Field} {e.Message}"))}");
        }
        catch (RelayException ex)
        {
            throw new HubException($"{ex.ErrorCode}: {ex.Message}");
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            var correlation = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(ex, "Unhandled hub exception {CorrelationId} in {Hub}.{Method}", correlation,
                context.Hub.GetType().Name, context.HubMethodName);
            throw new HubException($"{ErrorCodes.InternalError}: internal error ({correlation})");
        }
    }
}
