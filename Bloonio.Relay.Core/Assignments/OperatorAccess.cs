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
