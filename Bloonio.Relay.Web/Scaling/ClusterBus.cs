using System.Text.Json;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.Hubs;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>A change that every node must apply to its own live connections.</summary>
public sealed record ClusterEvent(string Type, Guid TenantId, Guid? OperatorId = null, IReadOnlyList<string>? Before = null,
    IReadOnlyList<string>? After = null, string? Node = null);

/// <summary>
/// Deprovisioning, routing-key changes and suspension reach every node: applied here at once, and published through
/// Redis (when configured) for the other nodes, which apply them to their own connections.
/// </summary>
public sealed class ClusterMembershipListener : IOperatorMembershipListener, ITenantStatusListener, IDisposable
{
    private const string Channel = "relay:cluster";
    private readonly OperatorConnections _operators;
    private readonly VisitorConnections _visitors;
    private readonly RedisConnection? _redis;
    private readonly ILogger<ClusterMembershipListener> _logger;
    private readonly string _node = Guid.NewGuid().ToString("N");

    public ClusterMembershipListener(OperatorConnections operators, VisitorConnections visitors, ILogger<ClusterMembershipListener> logger,
        RedisConnection? redis = null)
    {
        (_operators, _visitors, _redis, _logger) = (operators, visitors, redis, logger);
        _redis?.Subscribe(Channel, OnMessage);
    }

    public Task MembershipRevokedAsync(Guid tenantId, Guid operatorId, CancellationToken ct) =>
        ApplyAndPublishAsync(new ClusterEvent("revoked", tenantId, operatorId), ct);

    public Task RoutingKeysChangedAsync(Guid tenantId, Guid operatorId, IReadOnlyList<string>? before, IReadOnlyList<string>? after, CancellationToken ct) =>
        ApplyAndPublishAsync(new ClusterEvent("routing_keys", tenantId, operatorId, before, after), ct);

    public Task TenantSuspendedAsync(Guid tenantId, CancellationToken ct) => ApplyAndPublishAsync(new ClusterEvent("suspended", tenantId), ct);

    public void Dispose() => _redis?.Unsubscribe(Channel);

    private async Task ApplyAndPublishAsync(ClusterEvent e, CancellationToken ct)
    {
        await ApplyAsync(e, ct);
        if (_redis is not null)
        {
            await _redis.PublishAsync(Channel, JsonSerializer.Serialize(e with { Node = _node }, RelayJson.Options));
        }
    }

    private Task ApplyAsync(ClusterEvent e, CancellationToken ct) => e.Type switch
    {
        "revoked" => _operators.MembershipRevokedAsync(e.TenantId, e.OperatorId!.Value, ct),
        "routing_keys" => _operators.RoutingKeysChangedAsync(e.TenantId, e.OperatorId!.Value, e.Before, e.After, ct),
        "suspended" => Task.WhenAll(_operators.TenantSuspendedAsync(e.TenantId, ct), _visitors.TenantSuspendedAsync(e.TenantId, ct)),
        _ => Task.CompletedTask,
    };

    private void OnMessage(string json)
    {
        try
        {
            var e = JsonSerializer.Deserialize<ClusterEvent>(json, RelayJson.Options);
            if (e is not null && e.Node != _node)
            {
                _ = ApplyAsync(e, CancellationToken.None);
            }
        }
        catch (JsonException ex)
        {
            _logger.LogWarning(ex, "Ignoring an unreadable cluster message");
        }
    }
}
