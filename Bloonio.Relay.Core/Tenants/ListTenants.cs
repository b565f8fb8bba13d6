using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Tenants;

public sealed record ListTenantsQuery(Guid? After, int Limit = 100) : IRequest<IReadOnlyList<Tenant>>;

public sealed class ListTenantsValidator : AbstractValidator<ListTenantsQuery>
{
    public ListTenantsValidator() =>
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("must be between 1 and 500");
}

public sealed class ListTenantsHandler(ITenantRepository tenants) : IRequestHandler<ListTenantsQuery, IReadOnlyList<Tenant>>
{
    public Task<IReadOnlyList<Tenant>> Handle(ListTenantsQuery request, CancellationToken cancellationToken) =>
        tenants.ListAsync(request.After, request.Limit, cancellationToken);
}
