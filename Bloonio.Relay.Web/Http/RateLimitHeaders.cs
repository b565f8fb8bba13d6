using Bloonio.Relay.Core.Quotas;

namespace Bloonio.Relay.Web.Http;

/// <summary>SPEC 10: RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset (seconds), and Retry-After when refused.</summary>
public static class RateLimitHeaders
{
    public static void Write(HttpResponse response, RateLimitDecision decision)
    {
        response.Headers["RateLimit-Limit"] = decision.Limit.ToString();
        response.Headers["RateLimit-Remaining"] = decision.Remaining.ToString();
        response.Headers["RateLimit-Reset"] = decision.ResetSeconds.ToString();
        if (!decision.Allowed)
        {
            response.Headers.RetryAfter = Math.Max(1, decision.ResetSeconds).ToString();
        }
    }
}
