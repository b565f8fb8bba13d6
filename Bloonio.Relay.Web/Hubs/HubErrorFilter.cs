using Bloonio.Relay.Core.Common;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The one place a hub failure becomes <c>code: message</c> (SPEC 6), from the same domain exceptions as REST;
/// the connection stays usable. Anything else is a bug: logged, and the client sees only a correlation id.
/// </summary>
public sealed class HubErrorFilter(Hosting.DependencyOutages outages, Hosting.NodeDrain drain, ILogger<HubErrorFilter> logger) : IHubFilter
{
    private const string Stopping = "unavailable: this node is shutting down; reconnect";

    /// <summary>
    /// A client that goes away while it is being connected (or a node that stops meanwhile) cancels the connect's reads:
    /// not a failure of the relay, so not logged as one. The connect then ends as if it had succeeded and the connection,
    /// already aborted, is disconnected at once (OnDisconnectedAsync undoes whatever the connect registered).
    /// </summary>
    public async Task OnConnectedAsync(HubLifetimeContext context, Func<HubLifetimeContext, Task> next)
    {
        if (drain.Draining)
        {
            throw new HubException(Stopping);
        }

        try
        {
            await next(context);
        }
        catch (OperationCanceledException) when (context.Context.ConnectionAborted.IsCancellationRequested)
        {
            logger.LogDebug("Connection {ConnectionId} went away while connecting", context.Context.ConnectionId);
        }
        catch (Exception ex) when (Hosting.DependencyOutages.Cause(ex) is { } dependency)
        {
            throw Unavailable(ex, dependency); // the connection closes with this reason
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            // SignalR's own "Error when dispatching 'OnConnectedAsync'" is silenced (appsettings.json): it would also
            // report the refusals above. A bug is logged here, once, with a correlation id the client sees.
            var correlation = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(ex, "Unhandled hub exception {CorrelationId} in {Hub}.OnConnectedAsync", correlation, context.Hub.GetType().Name);
            throw new HubException($"{ErrorCodes.InternalError}: internal error ({correlation})");
        }
    }

    private HubException Unavailable(Exception cause, string dependency)
    {
        outages.Report(dependency, cause);
        return new HubException($"{ErrorCodes.Unavailable}: {dependency} is unreachable; retry in a few seconds");
    }

    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (!drain.TryEnter())
        {
            throw new HubException(Stopping); // a call after the drain began: the client retries on its next connection
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = "ok";
        try
        {
            return await next(context);
        }
        catch (HubException ex)
        {
            outcome = ex.Message.Split(':')[0];
            throw;
        }
        catch (RelayException ex) when (Outcome(ex, out outcome))
        {
            throw; // never: Outcome only records it
        }
        catch (ValidationFailedException ex)
        {
            throw new HubException($"{ex.ErrorCode}: {string.Join("; ", ex.Errors.Select(e => $"{e.Field} {e.Message}"))}");
        }
        catch (UnavailableException ex)
        {
            throw new HubException($"{ErrorCodes.Unavailable}: {ex.Message}");
        }
        catch (RelayException ex)
        {
            throw new HubException($"{ex.ErrorCode}: {ex.Message}");
        }
        catch (Exception ex) when (Hosting.DependencyOutages.Cause(ex) is { } dependency)
        {
            outcome = ErrorCodes.Unavailable;
            throw Unavailable(ex, dependency);
        }
        catch (Exception ex) when (ex is not HubException and not OperationCanceledException)
        {
            var correlation = Guid.NewGuid().ToString("N")[..12];
            logger.LogError(ex, "Unhandled hub exception {CorrelationId} in {Hub}.{Method}", correlation,
                context.Hub.GetType().Name, context.HubMethodName);
            outcome = ErrorCodes.InternalError;
            throw new HubException($"{ErrorCodes.InternalError}: internal error ({correlation})");
        }
        finally
        {
            drain.Exit();
            var hub = new KeyValuePair<string, object?>("hub", context.Hub is OperatorHub ? "operator" : "visitor");
            var method = new KeyValuePair<string, object?>("method", context.HubMethodName);
            RelayTelemetry.HubInvocations.Add(1, hub, method, new KeyValuePair<string, object?>("outcome", outcome));
            RelayTelemetry.HubInvocationDuration.Record(clock.Elapsed.TotalSeconds, hub, method);
        }
    }

    /// <summary>Records a refusal's code for the call's metrics (and rate-limit refusals on their own); always false.</summary>
    private static bool Outcome(RelayException ex, out string outcome)
    {
        outcome = ex.ErrorCode;
        if (ex.StatusCode == 429)
        {
            RelayTelemetry.Refused(ex.ErrorCode);
        }

        return false;
    }
}
