using System.Collections.Concurrent;
using Bloonio.Relay.Core.Tenants;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The visitor connections of this node, per tenant: the concurrent_visitor_connections quota and closing them all
/// when the tenant is suspended. Per node; the Redis backplane makes both cluster-wide.
/// </summary>
public sealed class VisitorConnections : ITenantStatusListener
{
    private readonly ConcurrentDictionary<Guid, ConcurrentDictionary<string, HubCallerContext>> _live = new();

    /// <summary>Adds the connection unless the tenant already has <paramref name="limit"/>; false when refused.</summary>
    public bool TryAdd(Guid tenantId, HubCallerContext context, int limit)
    {
        var tenant = _live.GetOrAdd(tenantId, _ => new());
        lock (tenant)
        {
            if (tenant.Count >= limit)
            {
                return false;
            }

            tenant[context.ConnectionId] = context;
            return true;
        }
    }

    public void Remove(Guid tenantId, string connectionId)
    {
        if (_live.TryGetValue(tenantId, out var tenant))
        {
            lock (tenant)
            {
                tenant.TryRemove(connectionId, out _);
            }
        }
    }

    public int Count(Guid tenantId) => _live.TryGetValue(tenantId, out var tenant) ? tenant.Count : 0;

    public Task TenantSuspendedAsync(Guid tenantId, CancellationToken ct)
    {
        if (_live.TryRemove(tenantId, out var tenant))
        {
            foreach (var context in tenant.Values)
            {
                context.Abort();
            }
        }

        return Task.CompletedTask;
    }
}
