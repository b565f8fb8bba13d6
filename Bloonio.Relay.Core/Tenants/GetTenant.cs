using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Tenants;

public sealed record GetTenantQuery(Guid TenantId) : IRequest<Tenant>, ITenantScoped;

public sealed class GetTenantHandler(ITenantRepository tenants) : IRequestHandler<GetTenantQuery, Tenant>
{
    public async Task<Tenant> Handle(GetTenantQuery request, CancellationToken cancellationToken) =>
        await tenants.GetWithFaqAsync(request.TenantId, cancellationToken)
        ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
}
