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
/// <see cref="Refresh"/> (documented in docs/decisions.md). Only visitor messages are refused; every non-system message counts.
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

        await counter.Refreshing.WaitAsync(ct);
        try
        {
            if (clock.GetUtcNow() - counter.RefreshedAt >= Refresh)
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
        }
        finally
        {
            counter.Refreshing.Release();
        }

        return counter;
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
