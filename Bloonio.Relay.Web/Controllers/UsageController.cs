using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

/// <summary>SPEC 10: usage per day against the quotas (HMAC#1).</summary>
[Route("api/v1/relay/usage")]
[Tags("Usage")]
public sealed class UsageController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet]
    [ProducesResponseType<Envelope<UsageReport>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Get([FromQuery] string? period = null, CancellationToken ct = default) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new GetUsageQuery(TenantId, period), ct), "Usage");
}
