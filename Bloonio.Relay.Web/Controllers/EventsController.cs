using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

/// <summary>SPEC 8: the ordered event feed (HMAC#1).</summary>
[Route("api/v1/relay/events")]
[Tags("Events")]
public sealed class EventsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet]
    [ProducesResponseType<Envelope<EventPage>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List([FromQuery] long after = 0, [FromQuery] int? limit = null, CancellationToken ct = default) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ListEventsQuery(TenantId, after, limit), ct), "Events");
}
