using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Tenants;

/// <summary>Suspend or resume. A suspended tenant's calls answer 403 <c>tenant_suspended</c>.</summary>
public sealed record SetTenantStatusCommand(Guid TenantId, string Status) : IRequest<Tenant>;

public sealed class SetTenantStatusHandler(
    ITenantRepository tenants, IEnumerable<ITenantStatusListener> listeners, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<SetTenantStatusCommand, Tenant>
{
    public async Task<Tenant> Handle(SetTenantStatusCommand request, CancellationToken cancellationToken)
    {
        var action = request.Status == TenantStatuses.Suspended ? "tenant.suspended" : "tenant.resumed";
        var audit = AuditEntry.For(caller, clock, request.TenantId, action, request.TenantId.ToString());
        if (!await tenants.SetStatusAsync(request.TenantId, request.Status, audit, cancellationToken))
        {
            throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
        }

        if (request.Status == TenantStatuses.Suspended)
        {
            foreach (var listener in listeners)
            {
                await listener.TenantSuspendedAsync(request.TenantId, cancellationToken);
            }
        }

        return (await tenants.GetAsync(request.TenantId, cancellationToken))!;
    }
}
