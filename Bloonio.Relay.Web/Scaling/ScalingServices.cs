using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Scaling;

public static class ScalingServices
{
    /// <summary>
    /// The one switch between one node and several: with <c>Relay:Redis</c> set, SignalR sends, the replay cache, rate
    /// limits and cluster events go through Redis. Swap this for Microsoft.AspNetCore.SignalR.StackExchangeRedis's
    /// AddStackExchangeRedis where that package is available; the rest stays.
    /// </summary>
    public static IServiceCollection AddRelayRedisBackplane(this IServiceCollection services, string? redis)
    {
        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddSingleton<ClusterMembershipListener>(p => new ClusterMembershipListener(
                p.GetRequiredService<Hubs.OperatorConnections>(), p.GetRequiredService<Hubs.VisitorConnections>(),
                p.GetRequiredService<ILogger<ClusterMembershipListener>>()));
            return services;
        }

        services.AddSingleton(p => new RedisBackplane(redis, p.GetRequiredService<ILogger<RedisBackplane>>()));
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(RedisHubLifetimeManager<>));
        services.AddSingleton<IReplayCache, RedisReplayCache>();
        services.AddSingleton<InMemoryRateLimiter>();
        services.AddSingleton<IRateLimiter, RedisRateLimiter>();
        services.AddSingleton<ClusterMembershipListener>(p => new ClusterMembershipListener(
            p.GetRequiredService<Hubs.OperatorConnections>(), p.GetRequiredService<Hubs.VisitorConnections>(),
            p.GetRequiredService<ILogger<ClusterMembershipListener>>(), p.GetRequiredService<RedisBackplane>()));
        return services;
    }
}
