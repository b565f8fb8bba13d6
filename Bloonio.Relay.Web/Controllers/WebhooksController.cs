using Bloonio.Relay.Core.Webhooks;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

/// <summary>SPEC 8: the delivery log, replay, a test event, and resuming a paused endpoint (HMAC#1).</summary>
[Route("api/v1/relay/webhooks")]
[Tags("Webhooks")]
public sealed class WebhooksController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet("deliveries")]
    [ProducesResponseType<Envelope<DeliveryLog>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Deliveries([FromQuery] string? status = null, [FromQuery] int? limit = null, CancellationToken ct = default) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ListDeliveriesQuery(TenantId, status, limit), ct), "Webhook deliveries");

    [HttpPost("deliveries/{deliveryId:guid}/replay")]
    [ProducesResponseType<Envelope<DeliveryView>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> Replay(Guid deliveryId, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created, await Mediator.Send(new ReplayDeliveryCommand(TenantId, deliveryId), ct), "Delivery queued again");

    [HttpPost("test")]
    [ProducesResponseType<Envelope<DeliveryView>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> Test(CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created, await Mediator.Send(new SendTestWebhookCommand(TenantId), ct), "Test event queued");

    [HttpPost("resume")]
    [ProducesResponseType<Envelope<EndpointState>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Resume(CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ResumeWebhooksCommand(TenantId), ct), "Webhooks resumed");
}
