namespace Bloonio.Relay.Web.Hubs;

/// <summary>The only place group names are made; a client never names a group.</summary>
public static class RelayGroups
{
    public static string TenantWide(Guid tenantId) => $"t:{tenantId}:all";

    public static string RoutingKey(Guid tenantId, string routingKey) => $"t:{tenantId}:rk:{routingKey}";

    public static string Operator(Guid tenantId, Guid operatorId) => $"t:{tenantId}:op:{operatorId}";

    public static string Session(Guid tenantId, Guid sessionId) => $"t:{tenantId}:s:{sessionId}";

    /// <summary>The groups a WAITING assignment is offered to: its routing key's queue and the tenant-wide operators.</summary>
    public static IReadOnlyList<string> Queue(Guid tenantId, string? routingKey) =>
        routingKey is null ? [TenantWide(tenantId)] : [RoutingKey(tenantId, routingKey), TenantWide(tenantId)];
}
