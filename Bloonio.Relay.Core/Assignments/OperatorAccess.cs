using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>
/// Every operator hub call is authorised against the membership as it is now (not as the token was minted), so
/// routing key changes and deprovisioning apply to live connections.
/// </summary>
public sealed class OperatorAccess(IOperatorRepository operators)
{
    public async Task<OperatorMembership> RequireAsync(Guid tenantId, Guid operatorId, CancellationToken ct) =>
        await operators.FindMembershipAsync(tenantId, operatorId, ct) is { Active: true, OperatorActive: true } membership
            ? membership
            : throw new ForbiddenException(ErrorCodes.MembershipInactive, "Operator has no active membership in this tenant");

    public static bool Serves(OperatorMembership membership, string? routingKey) =>
        membership.RoutingKeys is null || (routingKey is not null && membership.RoutingKeys.Contains(routingKey));

}

/// <summary>The operator who is to hold an assignment: what the state machine checks of it under the session's lock.</summary>
public static class Holder
{
    /// <summary>How many conversations the operator holds at once in this tenant: its own setting, else the tenant's.</summary>
    public static int Capacity(OperatorMembership membership, Tenants.Tenant tenant) =>
        membership.MaxConcurrent ?? tenant.Configuration.MaxConcurrent;

    /// <summary>The transition gives the assignment to this operator: its queues and its capacity are checked under the locks.</summary>
    public static Sessions.TransitionCommand HeldBy(this Sessions.TransitionCommand command, OperatorMembership membership, Tenants.Tenant tenant) =>
        command with
        {
            Capacity = Capacity(membership, tenant), ServedRoutingKeys = membership.RoutingKeys, ServesEveryQueue = membership.RoutingKeys is null,
        };
}
