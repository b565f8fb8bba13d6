using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>The delivery log (newest first, each attempt with status, latency and a truncated response) and the endpoint's state.</summary>
public sealed record ListDeliveriesQuery(Guid TenantId, string? Status, int? Limit) : IRequest<DeliveryLog>, ITenantScoped;

public sealed record DeliveryLog(EndpointState Endpoint, IReadOnlyList<DeliveryView> Deliveries);

public sealed class ListDeliveriesValidator : AbstractValidator<ListDeliveriesQuery>
{
    public ListDeliveriesValidator()
    {
        RuleFor(x => x.Status).Must(s => s is null or DeliveryStatuses.Pending or DeliveryStatuses.Delivered or DeliveryStatuses.Failed)
            .WithMessage("must be pending, delivered or failed");
        RuleFor(x => x.Limit).InclusiveBetween(1, 200).WithMessage("must be between 1 and 200");
    }
}

public sealed class ListDeliveriesHandler(IWebhookStore store) : IRequestHandler<ListDeliveriesQuery, DeliveryLog>
{
    public async Task<DeliveryLog> Handle(ListDeliveriesQuery request, CancellationToken cancellationToken) =>
        new(await store.GetEndpointAsync(request.TenantId, cancellationToken),
            await store.ListAsync(request.TenantId, request.Status, request.Limit ?? 50, cancellationToken));
}
