using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using StackExchange.Redis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>
/// The HMAC#1 replay cache shared by every node: one SET NX with the window as expiry. While Redis is unreachable it
/// falls back to PostgreSQL's cache, which is shared by every node too (slower, never wrong).
/// </summary>
public sealed class RedisReplayCache(RedisConnection redis, Data.Security.PostgresReplayCache fallback) : IReplayCache
{
    public async Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct)
    {
        if (!redis.IsConnected)
        {
            return await fallback.TryRememberAsync(tenantId, requestDigest, expiresAt, ct);
        }

        try
        {
            var ttl = expiresAt - DateTimeOffset.UtcNow;
            return await redis.Database.StringSetAsync($"relay:replay:{tenantId:N}:{Convert.ToHexString(requestDigest)}", "1",
                ttl > TimeSpan.FromSeconds(1) ? ttl : TimeSpan.FromSeconds(1), When.NotExists);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            return await fallback.TryRememberAsync(tenantId, requestDigest, expiresAt, ct);
        }
    }
}

/// <summary>
/// Fixed one-minute windows shared by every node: INCR, and an expiry on the window's first hit. While Redis is
/// unreachable each node counts on its own (limits are then per node, generous rather than refusing everyone).
/// </summary>
public sealed class RedisRateLimiter(RedisConnection redis, InMemoryRateLimiter fallback, TimeProvider clock) : IRateLimiter
{
    public async Task<RateLimitDecision> AcquireAsync(string key, int limit, CancellationToken ct)
    {
        if (!redis.IsConnected)
        {
            return await fallback.AcquireAsync(key, limit, ct);
        }

        try
        {
            return await AcquireSharedAsync(key, limit);
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            return await fallback.AcquireAsync(key, limit, ct);
        }
    }

    private async Task<RateLimitDecision> AcquireSharedAsync(string key, int limit)
    {
        var now = clock.GetUtcNow().ToUnixTimeSeconds();
        var window = now / 60;
        var redisKey = $"relay:rate:{key}:{window}";
        var count = await redis.Database.StringIncrementAsync(redisKey);
        if (count == 1)
        {
            await redis.Database.KeyExpireAsync(redisKey, TimeSpan.FromSeconds(120));
        }

        var reset = (int)((window + 1) * 60 - now);
        return new RateLimitDecision(count <= limit, limit, (int)Math.Max(0, limit - count), reset);
    }
}
