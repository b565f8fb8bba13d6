using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Http;
using Bloonio.Relay.Web.Hubs;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record EscalateBody(string? Reason, string? RoutingKey);

/// <param name="Attachments">Files the backend uploaded into this session (POST …/attachments), sent with the message.</param>
public sealed record BackendMessageBody(string? Text, string? ClientMessageId, BackendSender? Sender, List<QuickReply?>? QuickReplies = null,
    List<Guid>? Attachments = null);

/// <summary>SPEC 4: the backend's view of sessions (HMAC#1), tenant-scoped: another tenant's session id is 404.</summary>
[Route("api/v1/relay/sessions")]
[Tags("Sessions")]
public sealed class SessionsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet("{sessionId:guid}")]
    [ProducesResponseType<Envelope<SessionDetail>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Get(Guid sessionId, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new GetSessionQuery(TenantId, sessionId), ct), "Session");

    [HttpGet("{sessionId:guid}/messages")]
    [ProducesResponseType<Envelope<IReadOnlyList<MessageEvent>>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Messages(Guid sessionId, [FromQuery(Name = "after_seq")] int afterSeq = 0, [FromQuery] int? limit = null,
        CancellationToken ct = default) =>
        Envelope(StatusCodes.Status200OK,
            (await Mediator.Send(new GetSessionHistoryQuery(TenantId, sessionId, afterSeq, limit), ct)).Select(MessageEvent.From).ToList(),
            "Messages");

    [HttpPost("{sessionId:guid}/messages")]
    [ProducesResponseType<Envelope<MessageAck>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> Post(Guid sessionId, BackendMessageBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created,
            await Mediator.Send(new PostBackendMessageCommand(TenantId, sessionId, body.Text, body.ClientMessageId, body.Sender, body.QuickReplies, body.Attachments), ct),
            "Message stored");

    [HttpPost("{sessionId:guid}/close")]
    [ProducesResponseType<Envelope<SessionDetail>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Close(Guid sessionId, CancellationToken ct)
    {
        await Mediator.Send(new CloseSessionCommand(TenantId, sessionId, null, "closed_by_backend"), ct);
        return Envelope(StatusCodes.Status200OK, await Mediator.Send(new GetSessionQuery(TenantId, sessionId), ct), "Session closed");
    }

    [HttpPost("{sessionId:guid}/escalate")]
    [ProducesResponseType<Envelope<AssignmentView>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Escalate(Guid sessionId, EscalateBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK,
            AssignmentView.From(await Mediator.Send(new EscalateSessionCommand(TenantId, sessionId, body.Reason, body.RoutingKey), ct)),
            "Session escalated");
}
