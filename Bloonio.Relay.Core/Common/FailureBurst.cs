using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Common;

/// <summary>
/// Logs failures of a dependency (a webhook receiver, the brain) at warning once per burst: the first failure of a key
/// at once, then at most one line per <see cref="Window"/> with how many failed since; the first success after failures
/// says it recovered. An outage is a few lines, not one per attempt.
/// </summary>
public class FailureBurst(ILogger logger, TimeProvider clock)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, State> _states = new();

    private sealed class State
    {
        public DateTimeOffset LoggedAt;
        public int Unlogged;
        public int Total;
    }

    public void Failed(string what, string key, string error)
    {
        var now = clock.GetUtcNow();
        var state = _states.GetOrAdd(key, _ => new State { LoggedAt = DateTimeOffset.MinValue });
        int count, total;
        lock (state)
        {
            state.Total++;
            state.Unlogged++;
            if (now - state.LoggedAt < Window)
            {
                return;
            }

            (count, total, state.LoggedAt, state.Unlogged) = (state.Unlogged, state.Total, now, 0);
        }

        logger.LogWarning("{What} {Key} failed: {Error} ({Count} failures since the last report, {Total} in this burst)", what, key, error, count, total);
    }

    public void Succeeded(string what, string key)
    {
        if (_states.TryRemove(key, out var state))
        {
            logger.LogInformation("{What} {Key} answers again after {Total} failures", what, key, state.Total);
        }
    }
}

/// <summary>Webhook delivery failures, per tenant and receiver (<see cref="FailureBurst"/>).</summary>
public sealed class WebhookFailures(ILogger<WebhookFailures> logger, TimeProvider clock) : FailureBurst(logger, clock);

/// <summary>Brain call failures, per operation (<see cref="FailureBurst"/>).</summary>
public sealed class BrainFailures(ILogger<BrainFailures> logger, TimeProvider clock) : FailureBurst(logger, clock);
