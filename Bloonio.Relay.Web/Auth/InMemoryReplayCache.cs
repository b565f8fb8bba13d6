using System.Collections.Concurrent;
using Bloonio.Relay.Core.Security;

namespace Bloonio.Relay.Web.Auth;

/// <summary>The replay cache of a single node (<c>Relay:ReplayCache=memory</c>); never correct with several nodes.</summary>
public sealed class InMemoryReplayCache(TimeProvider clock) : IReplayCache
{
    private readonly ConcurrentDictionary<string, DateTimeOffset> _seen = new();
    private long _nextSweepTicks;

    public Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var next = Interlocked.Read(ref _nextSweepTicks);
        if (now.UtcTicks >= next && Interlocked.CompareExchange(ref _nextSweepTicks, now.AddMinutes(1).UtcTicks, next) == next)
        {
            foreach (var (seenKey, expiry) in _seen)
            {
                if (expiry < now)
                {
                    _seen.TryRemove(seenKey, out _);
                }
            }
        }

        var key = tenantId.ToString("N") + Convert.ToHexString(requestDigest);
        if (_seen.TryAdd(key, expiresAt))
        {
            return Task.FromResult(true);
        }

        // Taken over only once expired (a clock far behind), and by one caller.
        return Task.FromResult(_seen.TryGetValue(key, out var existing) && existing < now && _seen.TryUpdate(key, expiresAt, existing));
    }
}
