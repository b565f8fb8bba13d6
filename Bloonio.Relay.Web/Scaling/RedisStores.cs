using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using StackExchange.Redis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>The HMAC#1 replay cache shared by every node: one SET NX with the window as expiry.</summary>
public sealed class RedisReplayCache(RedisBackplane redis) : IReplayCache
{
    public async Task<bool> TryRememberAsync(Guid tenantId, byte[] requestDigest, DateTimeOffset expiresAt, CancellationToken ct)
    {
        var ttl = expiresAt - DateTimeOffset.UtcNow;
        return await redis.Database.StringSetAsync($"relay:replay:{tenantId:N}:{Convert.ToHexString(requestDigest)}", "1",
            ttl > TimeSpan.FromSeconds(1) ? ttl : TimeSpan.FromSeconds(1), When.NotExists);
    }
}

/// <summary>Fixed one-minute windows shared by every node: INCR, and an expiry on the window's first hit.</summary>
public sealed class RedisRateLimiter(RedisBackplane redis, TimeProvider clock) : IRateLimiter
{
    public async Task<RateLimitDecision> AcquireAsync(string key, int limit, CancellationToken ct)
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
