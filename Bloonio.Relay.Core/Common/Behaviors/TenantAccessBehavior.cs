using MediatR;

namespace Bloonio.Relay.Core.Common.Behaviors;

/// <summary>
/// Defence in depth: a tenant-scoped request sent on behalf of an authenticated tenant must name that tenant.
/// A mismatch answers 404, like any cross-tenant id.
/// </summary>
public sealed class TenantAccessBehavior<TRequest, TResponse>(ICallerContext caller) : IPipelineBehavior<TRequest, TResponse>
{
    public Task<TResponse> Handle(TRequest request, CancellationToken cancellationToken, RequestHandlerDelegate<TResponse> next)
    {
        if (request is ITenantScoped scoped && caller.TenantId is { } callerTenant && scoped.TenantId != callerTenant)
        {
            throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        }

        return next();
    }
}
