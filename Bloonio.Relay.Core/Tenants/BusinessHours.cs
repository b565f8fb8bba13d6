using System.Globalization;

namespace Bloonio.Relay.Core.Tenants;

/// <summary>
/// When humans answer: a time zone (IANA), the week's opening ranges per day (<c>"mon": ["09:00-12:00", "13:00-18:00"]</c>;
/// a day not listed is closed; no day at all means always open) and holidays (<c>yyyy-MM-dd</c>, closed all day).
/// </summary>
public sealed record Schedule
{
    public string TimeZone { get; init; } = "UTC";
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Weekly { get; init; } = new Dictionary<string, IReadOnlyList<string>>();
    public IReadOnlyList<string> Holidays { get; init; } = [];
}

public static class BusinessHours
{
    private static readonly string[] Days = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    /// <summary>What is wrong with a schedule, or null.</summary>
    public static string? Problem(Schedule schedule)
    {
        if (!TryZone(schedule.TimeZone, out _))
        {
            return $"time_zone \"{schedule.TimeZone}\" is not a known time zone (e.g. Europe/Paris)";
        }

        foreach (var (day, ranges) in schedule.Weekly)
        {
            if (!Days.Contains(day))
            {
                return $"weekly: \"{day}\" is not a day (sun, mon, tue, wed, thu, fri, sat)";
            }

            if (ranges.Count > 6 || ranges.Any(r => Range(r) is null))
            {
                return $"weekly.{day}: each range is HH:mm-HH:mm with the start before the end (at most 6 a day)";
            }
        }

        return schedule.Holidays.Count > 366 || schedule.Holidays.Any(h => !DateOnly.TryParseExact(h, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            ? "holidays: dates as yyyy-MM-dd (at most 366)"
            : null;
    }

    /// <summary>The schedule for a routing key (its own, else the tenant's); null = always open.</summary>
    public static Schedule? For(TenantConfiguration configuration, string? routingKey) =>
        routingKey is not null && configuration.HoursByRoutingKey.TryGetValue(routingKey, out var own) ? own : configuration.Hours;

    public static bool IsOpen(Schedule? schedule, DateTimeOffset now)
    {
        if (schedule is null || schedule.Weekly.Count == 0 || !TryZone(schedule.TimeZone, out var zone))
        {
            return true;
        }

        var local = TimeZoneInfo.ConvertTime(now, zone);
        var date = DateOnly.FromDateTime(local.DateTime);
        if (schedule.Holidays.Contains(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)))
        {
            return false;
        }

        var time = TimeOnly.FromDateTime(local.DateTime);
        return schedule.Weekly.TryGetValue(Days[(int)local.DayOfWeek], out var ranges)
               && ranges.Select(Range).Any(r => r is { } x && time >= x.Start && time < x.End);
    }

    /// <summary>When it next opens (within two weeks), or null when it is open now or never opens.</summary>
    public static DateTimeOffset? NextOpening(Schedule? schedule, DateTimeOffset now)
    {
        if (IsOpen(schedule, now) || !TryZone(schedule!.TimeZone, out var zone))
        {
            return null;
        }

        var local = TimeZoneInfo.ConvertTime(now, zone);
        for (var d = 0; d <= 14; d++)
        {
            var date = DateOnly.FromDateTime(local.DateTime).AddDays(d);
            if (schedule.Holidays.Contains(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture))
                || !schedule.Weekly.TryGetValue(Days[(int)date.DayOfWeek], out var ranges))
            {
                continue;
            }

            foreach (var start in ranges.Select(Range).OfType<(TimeOnly Start, TimeOnly End)>().Select(r => r.Start).Order())
            {
                var at = date.ToDateTime(start);
                var offset = zone.GetUtcOffset(at);
                var candidate = new DateTimeOffset(at, offset);
                if (candidate > now)
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private static (TimeOnly Start, TimeOnly End)? Range(string range)
    {
        var parts = range.Split('-');
        return parts.Length == 2
               && TimeOnly.TryParseExact(parts[0].Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var start)
               && TimeOnly.TryParseExact(parts[1].Trim(), "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var end)
               && start < end
            ? (start, end)
            : null;
    }

    private static bool TryZone(string id, out TimeZoneInfo zone) => TimeZoneInfo.TryFindSystemTimeZoneById(id, out zone!);
}
