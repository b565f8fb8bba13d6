using System.Collections.Concurrent;

namespace Bloonio.Relay.Core.Quotas;

/// <summary>One node's fixed-window counters (the window is the current clock minute); old windows are dropped as they pass.</summary>
public sealed class InMemoryRateLimiter(TimeProvider clock) : IRateLimiter
{
    private readonly ConcurrentDictionary<string, (long Window, int Count)> _windows = new();
    private long _sweptWindow;

    public Task<RateLimitDecision> AcquireAsync(string key, int limit, CancellationToken ct)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var window = now / 60;
        if (Interlocked.Exchange(ref _sweptWindow, window) != window)
        {
            foreach (var (k, v) in _windows)
            {
                if (v.Window < window)
                {
                    _windows.TryRemove(k, out _);
                }
            }
        }

        var counted = _windows.AddOrUpdate(key, _ => (window, 1), (_, v) => v.Window == window ? (window, v.Count + 1) : (window, 1));
        var reset = (int)((window + 1) * 60 - now);
        return Task.FromResult(new RateLimitDecision(counted.Count <= limit, limit, Math.Max(0, limit - counted.Count), reset));
    }
}
