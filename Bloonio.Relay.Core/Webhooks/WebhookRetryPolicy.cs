namespace Bloonio.Relay.Core.Webhooks;

/// <summary>
/// SPEC 8: 2xx within 10 s is success; retries after 30 s, 2 min, 10 min, 30 min, 1 h, 3 h, 6 h, 12 h, 24 h (±10 %
/// jitter), then failed; 410 Gone disables the endpoint at once; 429/503 with Retry-After wait as asked (capped at a
/// day); 100 consecutive failures spanning at least 24 h pause the endpoint.
/// </summary>
public static class WebhookRetryPolicy
{
    public static readonly IReadOnlyList<TimeSpan> Schedule =
    [
        TimeSpan.FromSeconds(30), TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(30), TimeSpan.FromHours(1),
        TimeSpan.FromHours(3), TimeSpan.FromHours(6), TimeSpan.FromHours(12), TimeSpan.FromHours(24),
    ];

    public const int PauseAfterFailures = 100;
    public static readonly TimeSpan PauseAfterSpan = TimeSpan.FromHours(24);

    /// <param name="attempt">1 for the first attempt.</param>
    /// <param name="jitter">A number in [-1, 1] (random in production, fixed in tests).</param>
    public static AttemptOutcome Decide(int? statusCode, TimeSpan? retryAfter, int attempt, DateTimeOffset now, double jitter)
    {
        if (statusCode is >= 200 and < 300)
        {
            return new AttemptOutcome(DeliveryStatuses.Delivered, null, EndpointSucceeded: true, null);
        }

        if (statusCode == 410)
        {
            return new AttemptOutcome(DeliveryStatuses.Failed, null, false, "the endpoint answered 410 Gone");
        }

        if (attempt > Schedule.Count)
        {
            return new AttemptOutcome(DeliveryStatuses.Failed, null, false, null);
        }

        var wait = statusCode is 429 or 503 && retryAfter is { } asked
            ? TimeSpan.FromTicks(Math.Clamp(asked.Ticks, TimeSpan.FromSeconds(1).Ticks, TimeSpan.FromDays(1).Ticks))
            : Schedule[attempt - 1] * (1 + 0.1 * Math.Clamp(jitter, -1, 1));
        return new AttemptOutcome(DeliveryStatuses.Pending, now + wait, false, null);
    }
}
