using Bloonio.Relay.Core.Workspace;
using Bloonio.Relay.Web.Http;
using MediatR;
using Microsoft.AspNetCore.Mvc;

namespace Bloonio.Relay.Web.Controllers;

public sealed record TagsBody(List<string?>? Tags);

public sealed record NoteBody(string? Text);

public sealed record CannedBody(string? Title, string? Shortcut, string? Text, string? RoutingKey);

/// <summary>The tenant backend's view of the operators' workspace (HMAC#1): conversations, search, tags, notes (docs/workspace.md).</summary>
[Route("api/v1/relay/sessions")]
[Tags("Workspace")]
public sealed class ConversationsController(IMediator mediator) : RelayControllerBase(mediator)
{
    /// <summary>Conversations, newest first, filtered and searched; <c>next_cursor</c> fetches the next page.</summary>
    [HttpGet]
    [ProducesResponseType<Envelope<ConversationPage>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List([FromQuery] string? status, [FromQuery(Name = "routing_key")] string? routingKey,
        [FromQuery(Name = "operator_id")] Guid? operatorId, [FromQuery] string? tag, [FromQuery] DateTimeOffset? from, [FromQuery] DateTimeOffset? to,
        [FromQuery] string? q, [FromQuery] string? cursor, [FromQuery] int? limit, [FromQuery] bool? offline, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK,
            await Mediator.Send(new ListConversationsQuery(TenantId,
                new ConversationFilter(status, routingKey, operatorId, tag, from, to, q, cursor, limit, offline)), ct),
            "Conversations");

    [HttpGet("{sessionId:guid}/conversation")]
    [ProducesResponseType<Envelope<ConversationDetail>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Get(Guid sessionId, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new GetConversationQuery(TenantId, sessionId), ct), "Conversation");

    [HttpPut("{sessionId:guid}/tags")]
    public async Task<IActionResult> SetTags(Guid sessionId, TagsBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, new { session_id = sessionId, tags = await Mediator.Send(new SetTagsCommand(TenantId, sessionId, body.Tags), ct) },
            "Tags set");

    [HttpPost("{sessionId:guid}/notes")]
    [ProducesResponseType<Envelope<Note>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> AddNote(Guid sessionId, NoteBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created, await Mediator.Send(new AddNoteCommand(TenantId, sessionId, body.Text), ct), "Note stored");
}

/// <summary>How conversations went (HMAC#1): counts, first response, time to accept, resolution, CSAT; in total and per queue.</summary>
[Route("api/v1/relay/reports")]
[Tags("Workspace")]
public sealed class ReportsController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet]
    [ProducesResponseType<Envelope<Report>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Get([FromQuery] DateTimeOffset? from, [FromQuery] DateTimeOffset? to, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new GetReportQuery(TenantId, from, to), ct), "Report");
}

/// <summary>Canned responses of the tenant (HMAC#1); the inbox uses them through the operator hub.</summary>
[Route("api/v1/relay/canned-responses")]
[Tags("Workspace")]
public sealed class CannedResponsesController(IMediator mediator) : RelayControllerBase(mediator)
{
    [HttpGet]
    [ProducesResponseType<Envelope<IReadOnlyList<CannedView>>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> List(CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK, await Mediator.Send(new ListCannedResponsesQuery(TenantId), ct), "Canned responses");

    [HttpPost]
    [ProducesResponseType<Envelope<CannedResponse>>(StatusCodes.Status201Created)]
    public async Task<IActionResult> Create(CannedBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status201Created,
            await Mediator.Send(new SaveCannedResponseCommand(TenantId, null, body.Title, body.Shortcut, body.Text, body.RoutingKey), ct), "Canned response created");

    [HttpPut("{cannedId:guid}")]
    [ProducesResponseType<Envelope<CannedResponse>>(StatusCodes.Status200OK)]
    public async Task<IActionResult> Replace(Guid cannedId, CannedBody body, CancellationToken ct) =>
        Envelope(StatusCodes.Status200OK,
            await Mediator.Send(new SaveCannedResponseCommand(TenantId, cannedId, body.Title, body.Shortcut, body.Text, body.RoutingKey), ct), "Canned response saved");

    [HttpDelete("{cannedId:guid}")]
    public async Task<IActionResult> Delete(Guid cannedId, CancellationToken ct)
    {
        await Mediator.Send(new DeleteCannedResponseCommand(TenantId, cannedId), ct);
        return Envelope(StatusCodes.Status200OK, new { canned_id = cannedId }, "Canned response deleted");
    }
}
