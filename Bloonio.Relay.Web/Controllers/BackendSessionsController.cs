using System.Text.Json;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record BackendSessionBody(
    string? ExternalUserId, string? DisplayName, string? Email, string? Mode, string? RoutingKey, JsonElement? Metadata, string? InitialMessage);

/// <summary>SPEC 4: sessions for identity-verified visitors of the in-app SDK and the tenant's own logic (HMAC#1).</summary>
[Route("api/v1/relay")]
[Tags("Sessions")]
public sealed class BackendSessionsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpPost("fetch/visitor-token")]
    [ProducesResponseType<Envelope<WidgetSessionResult>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> FetchVisitorToken(BackendSessionBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, (await Mediator.Send(Command(body with { InitialMessage = null }), ct)).Session, "Visitor token minted");

    [HttpPost("provision/session")]
    [ProducesResponseType<Envelope<BackendSessionResult>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> ProvisionSession(BackendSessionBody body, CancellationToken ct)
    {
        var result = await Mediator.Send(Command(body), ct);
        return Envelope(result.Session.Resumed ? StatusCodes.Status200OK : StatusCodes.Status201Created, result,
            result.Session.Resumed ? "Session resumed" : "Session provisioned");
    }

    private OpenBackendSessionCommand Command(BackendSessionBody b) =>
        new(TenantId, b.ExternalUserId, b.DisplayName, b.Email, b.Mode, b.RoutingKey, b.Metadata, b.InitialMessage);
}
