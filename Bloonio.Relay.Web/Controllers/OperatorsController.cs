using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record ProvisionOperatorBody(string? Email, string? DisplayName, string? AvatarUrl, List<string?>? RoutingKeys, int? MaxConcurrent = null);

public sealed record OperatorEmailBody(string? Email);

/// <summary>The Operators page's endpoints (HMAC#1): provision, mint a token, deprovision, list.</summary>
[Route("api/v1/relay")]
[Tags("Operators")]
public sealed class OperatorsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpPost("provision/operator")]
    [ProducesResponseType<Envelope<ProvisionOperatorResult>>(StatusCodes.Status201Created)]
    [ProducesResponseType<Envelope<ProvisionOperatorResult>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Provision(ProvisionOperatorBody body, CancellationToken ct)
    {
        var result = await Mediator.Send(
            new ProvisionOperatorCommand(TenantId, body.Email, body.DisplayName, body.AvatarUrl, body.RoutingKeys, body.MaxConcurrent), ct);
        return Envelope(result.Created ? StatusCodes.Status201Created : StatusCodes.Status200OK, result, "Operator provisioned");
    }

    [HttpPost("fetch/operator-token")]
    [ProducesResponseType<Envelope<FetchOperatorTokenResult>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> FetchToken(OperatorEmailBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new FetchOperatorTokenCommand(TenantId, body.Email), ct),
            "Operator token minted");

    [HttpPost("deprovision/operator")]
    [ProducesResponseType<Envelope<DeprovisionOperatorResult>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Deprovision(OperatorEmailBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new DeprovisionOperatorCommand(TenantId, body.Email), ct),
            "Operator deprovisioned");

    [HttpGet("operators")]
    [ProducesResponseType<Envelope<IReadOnlyList<OperatorView>>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List(CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ListOperatorsQuery(TenantId), ct), "Operators");
}
