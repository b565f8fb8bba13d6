using System.Collections.Concurrent;

namespace Bloonio.Relay.Core.Quotas;

public static class MonthlyQuota
{
    /// <summary>messages_per_month reached: retry when the next month starts (UTC).</summary>
    public static QuotaExceededException Exceeded(int limit, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var nextMonth = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1);
        return new QuotaExceededException($"This tenant used its {limit} messages of the month", (int)(nextMonth - now).TotalSeconds);
    }

    public static DateOnly MonthOf(DateTimeOffset at) => new(at.UtcDateTime.Year, at.UtcDateTime.Month, 1);
}

/// <summary>
/// messages_per_month without a row that every message locks (SPEC 10). Each node counts a tenant's month as the usage
/// the event log has counted plus the message events not counted yet (exact, read at most every <see cref="Refresh"/>),
/// plus what this node stored and has in flight since. One node never lets a month pass its limit; with several nodes,
/// each learns of the others' messages at its next refresh, so the overshoot is at most what the other nodes store in
/// <see cref="Refresh"/> plus one refresh's read (documented in docs/decisions.md). Only a node's first message of a
/// tenant's month waits for the read; later refreshes run in the background while messages are decided on the last
/// count. Only visitor messages are refused; every non-system message counts.
/// </summary>
public sealed class MonthlyMessageGate(IUsageStore usage, TimeProvider clock)
{
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<(Guid Tenant, DateOnly Month), Counter> _counters = new();

    /// <summary>Admits one visitor message, or null when the month is used up. Complete the admission when it is stored or not.</summary>
    public async Task<Admission?> AdmitAsync(Guid tenantId, int limit, CancellationToken ct)
    {
        var counter = await CounterAsync(tenantId, ct);
        lock (counter)
        {
            if (counter.Estimate >= limit)
            {
                return null;
            }

            counter.InFlight++;
        }

        return new Admission(counter);
    }

    /// <summary>A message this node stored without an admission (operator, bot, backend): it counts all the same.</summary>
    public void Counted(Guid tenantId)
    {
        if (_counters.TryGetValue((tenantId, MonthlyQuota.MonthOf(clock.GetUtcNow())), out var counter))
        {
            lock (counter)
            {
                counter.Stored++;
            }
        }
    }

    private async Task<Counter> CounterAsync(Guid tenantId, CancellationToken ct)
    {
        var month = MonthlyQuota.MonthOf(clock.GetUtcNow());
        var counter = _counters.GetOrAdd((tenantId, month), _ => new Counter());
        if (clock.GetUtcNow() - counter.RefreshedAt < Refresh)
        {
            return counter;
        }

        if (counter.RefreshedAt != DateTimeOffset.MinValue)
        {
            // A count exists: it is renewed in the background, one refresh at a time, and this message is decided on it
            // meanwhile. Waiting here would hold every message of the tenant for the length of the read (a periodic stall
            // in the tail of the latency); the bound on the overshoot only grows by that length.
            if (counter.Refreshing.Wait(0))
            {
                _ = RefreshInBackgroundAsync(tenantId, month, counter);
            }

            return counter;
        }

        // The first message of a tenant's month on this node waits for the count: there is nothing to decide on before it.
        await counter.Refreshing.WaitAsync(ct);
        try
        {
            if (clock.GetUtcNow() - counter.RefreshedAt >= Refresh)
            {
                await RefreshAsync(tenantId, month, counter, ct);
            }
        }
        finally
        {
            counter.Refreshing.Release();
        }

        return counter;
    }

    private async Task RefreshInBackgroundAsync(Guid tenantId, DateOnly month, Counter counter)
    {
        try
        {
            await Task.Yield();
            await RefreshAsync(tenantId, month, counter, CancellationToken.None);
        }
        catch (Exception)
        {
            // The count stays as it was (and is tried again by the next message): a read that failed changes nothing.
        }
        finally
        {
            counter.Refreshing.Release();
        }
    }

    private async Task RefreshAsync(Guid tenantId, DateOnly month, Counter counter, CancellationToken ct)
    {
        long storedBefore;
        lock (counter)
        {
            storedBefore = counter.Stored; // taken before the read: what commits meanwhile may count twice (safe), never zero times
        }

        var counted = await usage.MessagesThisMonthAsync(tenantId, month, ct);
        lock (counter)
        {
            (counter.Counted, counter.StoredAtRefresh, counter.RefreshedAt) = (counted, storedBefore, clock.GetUtcNow());
        }
    }

    public sealed class Counter
    {
        public SemaphoreSlim Refreshing { get; } = new(1, 1);
        public DateTimeOffset RefreshedAt { get; set; } = DateTimeOffset.MinValue;
        public long Counted { get; set; }
        public long StoredAtRefresh { get; set; }
        public long Stored { get; set; }
        public long InFlight { get; set; }

        public long Estimate => Counted + (Stored - StoredAtRefresh) + InFlight;
    }

    /// <summary>One admitted message on its way to the journal.</summary>
    public sealed class Admission(Counter counter)
    {
        private int _done;

        public void Complete(bool stored)
        {
            if (Interlocked.Exchange(ref _done, 1) == 1)
            {
                return;
            }

            lock (counter)
            {
                counter.InFlight--;
                if (stored)
                {
                    counter.Stored++;
                }
            }
        }
    }
}
