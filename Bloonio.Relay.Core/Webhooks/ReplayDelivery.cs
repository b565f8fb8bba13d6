using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>Sends a delivery's exact body again as a new delivery (same event id, so receivers de-duplicate).</summary>
public sealed record ReplayDeliveryCommand(Guid TenantId, Guid DeliveryId) : IRequest<DeliveryView>, ITenantScoped;

public sealed class ReplayDeliveryHandler(IWebhookStore store, TimeProvider clock) : IRequestHandler<ReplayDeliveryCommand, DeliveryView>
{
    public async Task<DeliveryView> Handle(ReplayDeliveryCommand request, CancellationToken cancellationToken)
    {
        var original = await store.GetAsync(request.TenantId, request.DeliveryId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.DeliveryNotFound, "Delivery not found");
        var replay = new NewDelivery(Ids.New(clock), request.TenantId, original.EventId, original.EventType, original.Url, original.Payload!,
            clock.GetUtcNow());
        await store.AddReplayAsync(replay, original.DeliveryId, cancellationToken);
        return (await store.GetAsync(request.TenantId, replay.DeliveryId, cancellationToken))!;
    }
}
