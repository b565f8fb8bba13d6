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
    private readonly ConcurrentDictionary<Guid, int> _peaks = new();

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
            _peaks.AddOrUpdate(tenantId, tenant.Count, (_, peak) => Math.Max(peak, tenant.Count));
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

    /// <summary>Each tenant's highest count since the last call (then restarted from the current count), for usage metering.</summary>
    public IReadOnlyDictionary<Guid, int> TakePeaks()
    {
        var peaks = new Dictionary<Guid, int>();
        foreach (var tenantId in _peaks.Keys)
        {
            if (_peaks.TryRemove(tenantId, out var peak))
            {
                peaks[tenantId] = peak;
                if (Count(tenantId) is > 0 and var now)
                {
                    _peaks.AddOrUpdate(tenantId, now, (_, p) => Math.Max(p, now));
                }
            }
        }

        return peaks;
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
