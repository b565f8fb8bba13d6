using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;

namespace Bloonio.Relay.Web.Scaling;

public static class ScalingServices
{
    /// <summary>
    /// The one switch between one node and several: with <c>Relay:Redis</c> set, SignalR runs on the official Redis
    /// backplane (wrapped so a node keeps serving its own connections while Redis is away), and the replay cache, rate
    /// limits and cluster events go through the same Redis connection.
    /// </summary>
    public static ISignalRServerBuilder AddRelayScaleOut(this ISignalRServerBuilder signalR, string? redis)
    {
        var services = signalR.Services;
        // Every connection of the node is seen by the drain (graceful shutdown), whichever manager carries the sends.
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(Hosting.DrainingHubLifetimeManager<>));
        if (string.IsNullOrWhiteSpace(redis))
        {
            services.AddSingleton<ClusterMembershipListener>(p => new ClusterMembershipListener(
                p.GetRequiredService<Hubs.OperatorConnections>(), p.GetRequiredService<Hubs.VisitorConnections>(),
                p.GetRequiredService<ILogger<ClusterMembershipListener>>()));
            return signalR;
        }

        services.AddSingleton(p => new RedisConnection(redis, p.GetRequiredService<ILogger<RedisConnection>>()));
        signalR.AddStackExchangeRedis(_ => { });
        // The backplane shares the node's connection instead of opening its own (same settings: fail fast, reconnect).
        services.AddOptions<RedisOptions>().Configure<IServiceProvider>((o, p) =>
            o.ConnectionFactory = _ => Task.FromResult(p.GetRequiredService<RedisConnection>().Multiplexer));
        // The official backplane, wrapped in LocalFallbackHubLifetimeManager (created by the draining manager above).
        services.AddSingleton(typeof(HubLifetimeManager<>), typeof(Hosting.DrainingHubLifetimeManager<>));

        services.AddSingleton<IReplayCache, RedisReplayCache>();
        services.AddSingleton<InMemoryRateLimiter>();
        services.AddSingleton<IRateLimiter, RedisRateLimiter>();
        services.AddSingleton<ClusterMembershipListener>(p => new ClusterMembershipListener(
            p.GetRequiredService<Hubs.OperatorConnections>(), p.GetRequiredService<Hubs.VisitorConnections>(),
            p.GetRequiredService<ILogger<ClusterMembershipListener>>(), p.GetRequiredService<RedisConnection>()));
        return signalR;
    }
}
