using System.Collections.Concurrent;
using Bloonio.Relay.Core.Operators;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// The operator connections of this node: presence (online when connected, away when it said so, else offline) and
/// revocation (deprovisioning aborts that tenant's connections at once). Per node; the Redis backplane shares it.
/// </summary>
public sealed class OperatorConnections(IOperatorRepository operators, IHubContext<OperatorHub> hub, TimeProvider clock)
    : IOperatorPresence, IOperatorMembershipListener, Core.Tenants.ITenantStatusListener
{
    private readonly ConcurrentDictionary<(Guid Tenant, Guid Operator), ConcurrentDictionary<string, HubCallerContext>> _live = new();

    public void Add(Guid tenantId, Guid operatorId, HubCallerContext context) =>
        _live.GetOrAdd((tenantId, operatorId), _ => new())[context.ConnectionId] = context;

    /// <summary>Marks every operator connected to this node as seen now, one statement per tenant.</summary>
    public async Task HeartbeatAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        foreach (var tenant in _live.Where(kv => !kv.Value.IsEmpty).GroupBy(kv => kv.Key.Tenant, kv => kv.Key.Operator))
        {
            await operators.TouchConnectedAsync(tenant.Key, tenant.ToList(), now, ct);
        }
    }

    /// <summary>How many connections of this operator this node holds (diagnostics and tests).</summary>
    public int Count(Guid tenantId, Guid operatorId) => _live.TryGetValue((tenantId, operatorId), out var contexts) ? contexts.Count : 0;

    public void Remove(Guid tenantId, Guid operatorId, string connectionId)
    {
        if (_live.TryGetValue((tenantId, operatorId), out var contexts))
        {
            contexts.TryRemove(connectionId, out _);
        }
    }

    public Task MembershipRevokedAsync(Guid tenantId, Guid operatorId, CancellationToken ct)
    {
        if (_live.TryRemove((tenantId, operatorId), out var contexts))
        {
            foreach (var context in contexts.Values)
            {
                context.Abort();
            }
        }

        return Task.CompletedTask;
    }

    public Task TenantSuspendedAsync(Guid tenantId, CancellationToken ct)
    {
        foreach (var key in _live.Keys.Where(k => k.Tenant == tenantId))
        {
            if (_live.TryRemove(key, out var contexts))
            {
                foreach (var context in contexts.Values)
                {
                    context.Abort();
                }
            }
        }

        return Task.CompletedTask;
    }

    public async Task RoutingKeysChangedAsync(
        Guid tenantId, Guid operatorId, IReadOnlyList<string>? before, IReadOnlyList<string>? after, CancellationToken ct)
    {
        if (!_live.TryGetValue((tenantId, operatorId), out var contexts))
        {
            return;
        }

        var leave = OperatorHub.QueueGroups(tenantId, before).Except(OperatorHub.QueueGroups(tenantId, after)).ToList();
        var join = OperatorHub.QueueGroups(tenantId, after).Except(OperatorHub.QueueGroups(tenantId, before)).ToList();
        foreach (var connectionId in contexts.Keys)
        {
            foreach (var group in leave)
            {
                await hub.Groups.RemoveFromGroupAsync(connectionId, group, ct);
            }

            foreach (var group in join)
            {
                await hub.Groups.AddToGroupAsync(connectionId, group, ct);
            }
        }
    }

    public async Task<IReadOnlyDictionary<Guid, string>> GetAsync(Guid tenantId, IReadOnlyCollection<Guid> operatorIds, CancellationToken ct)
    {
        // Connected here, or seen by any node's heartbeat (every 15 s) within the last 40 s.
        var memberships = (await operators.ListAsync(tenantId, ct)).ToDictionary(m => m.OperatorId);
        var recently = clock.GetUtcNow().AddSeconds(-40);
        return operatorIds.ToDictionary(id => id, id =>
        {
            memberships.TryGetValue(id, out var m);
            var connected = (_live.TryGetValue((tenantId, id), out var c) && !c.IsEmpty) || m?.LastConnectedAt > recently;
            return !connected ? Presence.Offline : m?.Availability == "away" ? Presence.Away : Presence.Online;
        });
    }
}
