using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Core.Quotas;

/// <summary>SPEC 10's defaults, from <c>Relay:Quotas:*</c>; a tenant's overrides win.</summary>
public sealed class QuotaDefaults
{
    public int MessagesPerMonth { get; set; } = 100_000;
    public int ConcurrentVisitorConnections { get; set; } = 1_000;
    public int Operators { get; set; } = 50;
    public int BackendRequestsPerMinute { get; set; } = 600;
    public int VisitorMessagesPerMinute { get; set; } = 30;
    public int WidgetSessionsPerMinute { get; set; } = 30;

    public EffectiveQuotas For(TenantQuotas overrides) => new(
        overrides.MessagesPerMonth ?? MessagesPerMonth,
        overrides.ConcurrentVisitorConnections ?? ConcurrentVisitorConnections,
        overrides.Operators ?? Operators,
        overrides.BackendRequestsPerMinute ?? BackendRequestsPerMinute,
        overrides.VisitorMessagesPerMinute ?? VisitorMessagesPerMinute,
        overrides.WidgetSessionsPerMinute ?? WidgetSessionsPerMinute);
}

public sealed record EffectiveQuotas(
    int MessagesPerMonth, int ConcurrentVisitorConnections, int Operators, int BackendRequestsPerMinute, int VisitorMessagesPerMinute,
    int WidgetSessionsPerMinute);

/// <summary>A rate limit's verdict, with what the RateLimit-* headers say.</summary>
public sealed record RateLimitDecision(bool Allowed, int Limit, int Remaining, int ResetSeconds);

/// <summary>
/// Fixed one-minute windows keyed by what is limited (tenant, session, widget key + client IP). In memory on one node;
/// Redis with several (the scale-out issue), behind this interface.
/// </summary>
public interface IRateLimiter
{
    Task<RateLimitDecision> AcquireAsync(string key, int limit, CancellationToken ct);
}

public sealed class RateLimitedException(RateLimitDecision decision, string message)
    : Common.RelayException(429, Common.ErrorCodes.RateLimited, message)
{
    public RateLimitDecision Decision { get; } = decision;
}

public sealed class QuotaExceededException(string message, int retryAfterSeconds)
    : Common.RelayException(429, Common.ErrorCodes.QuotaExceeded, message)
{
    public int RetryAfterSeconds { get; } = retryAfterSeconds;
}
