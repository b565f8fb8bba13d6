using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;
using Microsoft.Extensions.Options;
using Bloonio.Relay.Web.Auth;
using MediatR;
using Microsoft.AspNetCore.SignalR;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bloonio.Relay.Web.Hubs;

/// <summary><c>/hubs/visitor</c>: one visitor token = one session; the connection joins that session's group.</summary>
public sealed class VisitorHub(IMediator mediator, VisitorConnections live, ITenantRepository tenants, IOptions<QuotaDefaults> quotas) : Hub
{
    private Guid TenantId => Guid.Parse(Context.User!.FindFirst(RelayTokenNames.TenantId)!.Value);
    private Guid SessionId => Guid.Parse(Context.User!.FindFirst(RelayTokenNames.SessionId)!.Value);
    private Guid VisitorId => Guid.Parse(Context.User!.FindFirst(JwtRegisteredClaimNames.Sub)!.Value);

    /// <summary>
    /// All or nothing: SignalR calls OnDisconnectedAsync only after a connect that succeeded, so the connection-quota
    /// slot is taken after every check and given back if anything after it fails (the client gone mid-connect, say).
    /// </summary>
    public override async Task OnConnectedAsync()
    {
        var tenant = await tenants.GetAsync(TenantId, Context.ConnectionAborted);
        if (tenant is not { Status: TenantStatuses.Active })
        {
            throw new HubException($"{ErrorCodes.TenantSuspended}: Tenant is suspended");
        }

        var state = await mediator.Send(new GetSessionStateQuery(TenantId, SessionId), Context.ConnectionAborted);
        var limit = quotas.Value.For(tenant.Quotas).ConcurrentVisitorConnections;
        if (!live.TryAdd(TenantId, Context, limit))
        {
            throw new HubException($"{ErrorCodes.QuotaExceeded}: This tenant already has {limit} visitors connected");
        }

        var connected = false;
        try
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, RelayGroups.Session(TenantId, SessionId), Context.ConnectionAborted);
            await Clients.Caller.SendAsync("session_state",
                new SessionStateEvent(state.SessionId, state.Status, state.QueuePosition, state.Operator), Context.ConnectionAborted);
            await base.OnConnectedAsync();
            connected = true;
        }
        finally
        {
            if (!connected)
            {
                live.Remove(TenantId, Context.ConnectionId);
            }
        }
    }

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        live.Remove(TenantId, Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    public Task<MessageAck> Send(SendArgs args) =>
        mediator.Send(new SendVisitorMessageCommand(TenantId, SessionId, VisitorId, args.ClientMessageId, args.Text,
            args.QuickReply is { } tapped ? new QuickReplyRef(tapped.MessageId, tapped.Value) : null, args.Attachments), Context.ConnectionAborted);

    public async Task<SessionStateEvent> RequestHuman(RequestHumanArgs args)
    {
        await mediator.Send(new RequestHumanCommand(TenantId, SessionId, VisitorId, args.Reason), Context.ConnectionAborted);
        return new SessionStateEvent(SessionId, SessionStatuses.Waiting, null, null);
    }

    public Task Typing(TypingArgs args) =>
        mediator.Send(new SignalConversationStateCommand(TenantId, SessionId, Visitor, args.IsTyping, null), Context.ConnectionAborted);

    public Task MarkRead(MarkReadArgs args) =>
        mediator.Send(new SignalConversationStateCommand(TenantId, SessionId, Visitor, null, args.Seq), Context.ConnectionAborted);

    public Task Close() =>
        mediator.Send(new CloseSessionCommand(TenantId, SessionId, VisitorId, "closed_by_visitor"), Context.ConnectionAborted);

    private Sender Visitor => new(SenderTypes.Visitor, VisitorId);

    /// <summary>Rates the conversation once it has ended (1–5, an optional comment); changing it later replaces it.</summary>
    public Task<Core.Workspace.Rating> Rate(RateArgs args) =>
        mediator.Send(new Core.Workspace.RateSessionCommand(TenantId, SessionId, args.Score, args.Comment), Context.ConnectionAborted);

    /// <summary>The conversation as plain text (what the visitor saw), to download.</summary>
    public Task<string> Transcript() => mediator.Send(new Core.Workspace.GetTranscriptQuery(TenantId, SessionId), Context.ConnectionAborted);

    public async Task<IReadOnlyList<MessageEvent>> History(HistoryArgs args) =>
        (await mediator.Send(new GetSessionHistoryQuery(TenantId, SessionId, args.AfterSeq, args.Limit), Context.ConnectionAborted))
        .Select(MessageEvent.From).ToList();
}
