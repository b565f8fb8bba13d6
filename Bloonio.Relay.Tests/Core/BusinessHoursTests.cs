using Bloonio.Relay.Core.Tenants;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Core;

/// <summary>Business hours in a time zone, with holidays: open or not, and when it opens next.</summary>
public sealed class BusinessHoursTests
{
    private static readonly Schedule Paris = new()
    {
        TimeZone = "Europe/Paris",
        Weekly = new Dictionary<string, IReadOnlyList<string>> { ["mon"] = ["09:00-12:00", "13:00-18:00"], ["tue"] = ["09:00-18:00"] },
        Holidays = ["2026-12-29"],
    };

    [TestCase("2026-11-30T08:30:00Z", true, TestName = "Monday 09:30 in Paris is open")]
    [TestCase("2026-11-30T11:30:00Z", false, TestName = "Monday 12:30 in Paris is the lunch break")]
    [TestCase("2026-11-30T07:59:00Z", false, TestName = "Monday 08:59 in Paris is not open yet")]
    [TestCase("2026-12-02T10:00:00Z", false, TestName = "Wednesday is closed")]
    [TestCase("2026-12-29T10:00:00Z", false, TestName = "A holiday Tuesday is closed")]
    public void IsOpen(string utc, bool open) => Assert.That(BusinessHours.IsOpen(Paris, DateTimeOffset.Parse(utc)), Is.EqualTo(open));

    [Test]
    public void NextOpeningIsTheNextRangeStartInTheTimeZone()
    {
        Assert.That(BusinessHours.NextOpening(Paris, DateTimeOffset.Parse("2026-11-30T11:30:00Z")), Is.EqualTo(DateTimeOffset.Parse("2026-11-30T13:00:00+01:00")));
        Assert.That(BusinessHours.NextOpening(Paris, DateTimeOffset.Parse("2026-12-01T18:30:00Z")), Is.EqualTo(DateTimeOffset.Parse("2026-12-07T09:00:00+01:00")),
            "after Tuesday, next Monday");
        Assert.That(BusinessHours.NextOpening(Paris, DateTimeOffset.Parse("2026-11-30T08:30:00Z")), Is.Null, "open now");
        Assert.That(BusinessHours.IsOpen(null, DateTimeOffset.UtcNow), Is.True, "no hours: always open");
    }

    [TestCase("Mars/Olympus", "mon", "09:00-18:00", "2026-12-25", "time_zone")]
    [TestCase("UTC", "funday", "09:00-18:00", "2026-12-25", "weekly")]
    [TestCase("UTC", "mon", "18:00-09:00", "2026-12-25", "weekly.mon")]
    [TestCase("UTC", "mon", "09:00-18:00", "25/12/2026", "holidays")]
    public void BadSchedulesAreNamed(string zone, string day, string range, string holiday, string expected) =>
        Assert.That(BusinessHours.Problem(new Schedule
        {
            TimeZone = zone, Weekly = new Dictionary<string, IReadOnlyList<string>> { [day] = [range] }, Holidays = [holiday],
        }), Does.StartWith(expected));
}
