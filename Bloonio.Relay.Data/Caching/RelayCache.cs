using System.Collections.Concurrent;

namespace Bloonio.Relay.Data.Caching;

/// <summary>
/// A read-through cache of rows that change rarely and are read on every message or call. Entries live at most
/// <see cref="MaxAge"/>, and go at once when a write on any node says so (<see cref="RelayCaches"/>, fed by PostgreSQL
/// notifications). A read that started before an invalidation does not store what it read.
/// </summary>
public sealed class RelayCache<TKey, TValue>(TimeProvider clock) where TKey : notnull
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<TKey, (TValue Value, DateTimeOffset Since, DateTimeOffset Until)> _entries = new();
    private long _generation;

    public async Task<TValue> GetAsync(TKey key, Func<Task<TValue>> load, Func<TValue, DateTimeOffset?>? validUntil = null)
    {
        var now = clock.GetUtcNow();
        if (_entries.TryGetValue(key, out var entry) && entry.Since <= now && entry.Until > now) // a clock set back misses
        {
            return entry.Value;
        }

        var generation = Interlocked.Read(ref _generation);
        var value = await load();
        var until = now + MaxAge;
        if (validUntil?.Invoke(value) is { } limit && limit < until)
        {
            until = limit;
        }

        if (Interlocked.Read(ref _generation) == generation)
        {
            _entries[key] = (value, now, until);
        }

        return value;
    }

    public void Remove(TKey key)
    {
        Interlocked.Increment(ref _generation);
        _entries.TryRemove(key, out _);
    }

    public void RemoveWhere(Func<TKey, bool> match)
    {
        Interlocked.Increment(ref _generation);
        foreach (var key in _entries.Keys.Where(match))
        {
            _entries.TryRemove(key, out _);
        }
    }

    public void Clear()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }
}
