using System.Text.Json;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record OfflineMessageBody(string? Email, string? DisplayName, string? Text, string? RoutingKey);

public sealed record CreateWidgetSessionBody(string? Mode, string? RoutingKey, VisitorInfo? Visitor, JsonElement? Metadata, string? ResumeToken);

/// <summary>SPEC 5: the widget's public API, keyed by <c>X-Bloonio-Widget-Key</c> and checked against the browser's Origin.</summary>
[Route("api/v1/widget")]
[Tags("Widget")]
public sealed class WidgetController(IMediator mediator) : RelayControllerBase(mediator)
{
    public const string WidgetKeyHeader = "X-Bloonio-Widget-Key";

    [HttpGet("config")]
    [ProducesResponseType<Envelope<WidgetConfig>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Config([FromHeader(Name = WidgetKeyHeader)] string? widgetKey,
        [FromQuery(Name = "routing_key")] string? routingKey, CancellationToken ct)
    {
        var config = await Mediator.Send(new GetWidgetConfigQuery(widgetKey, Origin, routingKey), ct);
        WidgetCors.Allow(HttpContext);
        return Envelope(StatusCodes.Status200OK, config, "Widget configuration");
    }

    /// <summary>Outside hours or with nobody online: an email and a message, answered later (docs/visitors.md).</summary>
    [HttpPost("offline-messages")]
    [ProducesResponseType<Envelope<OfflineMessageResult>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> LeaveMessage([FromHeader(Name = WidgetKeyHeader)] string? widgetKey, OfflineMessageBody body, CancellationToken ct)
    {
        var result = await Mediator.Send(new LeaveOfflineMessageCommand(widgetKey, Origin, body.Email, body.DisplayName, body.Text, body.RoutingKey,
            HttpContext.Connection.RemoteIpAddress?.ToString()), ct);
        WidgetCors.Allow(HttpContext);
        return Envelope(StatusCodes.Status201Created, result, "Message left");
    }

    [HttpPost("sessions")]
    [ProducesResponseType<Envelope<WidgetSessionResult>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> CreateSession([FromHeader(Name = WidgetKeyHeader)] string? widgetKey, CreateWidgetSessionBody body, CancellationToken ct)
    {
        var session = await Mediator.Send(
            new CreateWidgetSessionCommand(widgetKey, Origin, body.Mode, body.RoutingKey, body.Visitor, body.Metadata, body.ResumeToken,
                HttpContext.Connection.RemoteIpAddress?.ToString()), ct);
        WidgetCors.Allow(HttpContext);
        return session.Resumed
            ? Envelope(StatusCodes.Status200OK, session, "Session resumed")
            : Envelope(StatusCodes.Status201Created, session, "Session created");
    }

    /// <summary>
    /// The browser's Origin; a same-origin GET carries none, and then Sec-Fetch-Site says the page is the relay's own
    /// (the /demo page), so the relay's origin is what is checked.
    /// </summary>
    private string? Origin => Request.Headers.Origin.FirstOrDefault() is { Length: > 0 } origin
        ? origin
        : Request.Headers["Sec-Fetch-Site"] == "same-origin" ? $"{Request.Scheme}://{Request.Host}" : null;
}
