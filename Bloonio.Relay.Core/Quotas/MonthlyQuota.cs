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
}
