using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Auth;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>
/// Every operator hub call checks the connection's token against the membership as it is now (read through the node's
/// cache, invalidated at every change): a deprovisioned operator, a deactivated account or a token of an older version
/// is refused at its next call and the connection closed, even when the cluster event that closes it was missed (Redis
/// away, another node). Connecting checks the same.
/// </summary>
public sealed class OperatorTokenFilter(Core.Operators.IOperatorRepository operators, Hosting.NodeDrain connections) : IHubFilter
{
    public async ValueTask<object?> InvokeMethodAsync(HubInvocationContext context, Func<HubInvocationContext, ValueTask<object?>> next)
    {
        if (context.Hub is OperatorHub && context.Context.User is { } user)
        {
            var tenantId = HubAuthentication.TenantOf(user);
            var version = int.TryParse(user.FindFirst(RelayTokenNames.TokenVersion)?.Value, out var v) ? v : -1;
            var membership = tenantId is { } tenant
                ? await operators.FindMembershipAsync(tenant, HubAuthentication.SubjectOf(user), context.Context.ConnectionAborted)
                : null;
            if (membership is not { Active: true, OperatorActive: true } || membership.TokenVersion != version)
            {
                const string Reason = "This operator token is no longer valid (deprovisioned, deactivated or replaced); fetch a new one";
                // Closed with the reason (the client's Closed event says it), so it no longer receives its queues' offers.
                await connections.CloseAsync(context.Context.ConnectionId, $"{ErrorCodes.MembershipInactive}: {Reason}");
                throw new ForbiddenException(ErrorCodes.MembershipInactive, Reason);
            }
        }

        return await next(context);
    }
}
