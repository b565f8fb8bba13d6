using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Auth;
using MediatR;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

public sealed record AcceptView(AssignmentView Assignment, SessionView Session, IReadOnlyList<MessageEvent> History);

public sealed record SessionView(Guid SessionId, string Mode, string Status, string? RoutingKey, string? VisitorDisplayName, int LastSeq);

/// <summary>
/// <c>/hubs/operator</c>: the token's single tenant is the scope. On connect the connection joins its queues
/// (tenant-wide or one group per routing key) and its own operator group, which receives its sessions' messages.
/// </summary>
public sealed class OperatorHub(IMediator mediator, OperatorAccess access, OperatorConnections live,
    Core.Operators.IOperatorRepository operators, Core.Tenants.ITenantRepository tenants, Core.Workspace.IWorkspaceRepository workspace,
    TimeProvider clock) : Hub
{
    private Guid OperatorId => HubAuthentication.SubjectOf(Context.User!);

    private Guid TenantId => HubAuthentication.TenantOf(Context.User!)!.Value;

    public override async Task OnConnectedAsync()
    {
        var membership = await access.RequireAsync(TenantId, OperatorId, Context.ConnectionAborted);
        if ((await tenants.GetAsync(TenantId, Context.ConnectionAborted))?.Status != Core.Tenants.TenantStatuses.Active)
        {
            throw new HubException($"{Core.Common.ErrorCodes.TenantSuspended}: Tenant is suspended");
        }

        foreach (var group in QueueGroups(TenantId, membership.RoutingKeys).Append(RelayGroups.Operator(TenantId, OperatorId)))
        {
            await Groups.AddToGroupAsync(Context.ConnectionId, group, Context.ConnectionAborted);
        }

        await operators.TouchConnectedAsync(TenantId, [OperatorId], clock.GetUtcNow(), Context.ConnectionAborted);
        await base.OnConnectedAsync();
        // Last, and nothing after it can fail: SignalR calls OnDisconnectedAsync only after a connect that succeeded, and
        // a registration left behind would keep the operator "online" (its assignments never abandoned).
        live.Add(TenantId, OperatorId, Context);
    }

    /// <summary>A tenant-wide operator's queue group, or one group per routing key.</summary>
    public static IEnumerable<string> QueueGroups(Guid tenantId, IReadOnlyList<string>? routingKeys) =>
        routingKeys is null ? [RelayGroups.TenantWide(tenantId)] : routingKeys.Select(k => RelayGroups.RoutingKey(tenantId, k));

    public override Task OnDisconnectedAsync(Exception? exception)
    {
        live.Remove(TenantId, OperatorId, Context.ConnectionId);
        return base.OnDisconnectedAsync(exception);
    }

    public async Task<object> SetAvailability(AvailabilityArgs args) =>
        new { status = await mediator.Send(new Core.Operators.SetAvailabilityCommand(TenantId, OperatorId, args.Status), Context.ConnectionAborted) };

    public async Task<IReadOnlyList<AssignmentView>> ListQueue() =>
        await WithCardsAsync(await mediator.Send(new ListQueueQuery(TenantId, OperatorId), Context.ConnectionAborted));

    public async Task<IReadOnlyList<AssignmentView>> ListMine() =>
        await WithCardsAsync(await mediator.Send(new ListMineQuery(TenantId, OperatorId), Context.ConnectionAborted));

    private async Task<IReadOnlyList<AssignmentView>> WithCardsAsync(IReadOnlyList<Assignment> assignments)
    {
        var cards = await workspace.CardsAsync(TenantId, assignments.Select(a => a.SessionId).ToList(), Context.ConnectionAborted);
        return assignments.Select(a => AssignmentView.From(a, cards)).ToList();
    }

    public async Task<AcceptView> Accept(AssignmentArgs args)
    {
        var result = await mediator.Send(new AcceptAssignmentCommand(TenantId, OperatorId, args.AssignmentId), Context.ConnectionAborted);
        var s = result.Session;
        return new AcceptView(AssignmentView.From(result.Assignment),
            new SessionView(s.SessionId, s.Mode, s.Status, s.RoutingKey, s.VisitorDisplayName, s.LastSeq),
            result.History.Select(MessageEvent.From).ToList());
    }

    public Task<MessageAck> Send(OperatorSendArgs args) =>
        mediator.Send(new SendOperatorMessageCommand(TenantId, OperatorId, args.SessionId, args.ClientMessageId, args.Text, args.Attachments), Context.ConnectionAborted);

    public Task Typing(TypingArgs args) => Signal(args.SessionId, args.IsTyping, null);

    public Task MarkRead(MarkReadArgs args) => Signal(args.SessionId, null, args.Seq);

    private Task Signal(Guid? sessionId, bool? typing, int? seq) =>
        mediator.Send(new SignalConversationStateCommand(TenantId, sessionId ?? Guid.Empty, new Sender(SenderTypes.Operator, OperatorId), typing, seq),
            Context.ConnectionAborted);

    public async Task<AssignmentView> Release(AssignmentArgs args) =>
        AssignmentView.From(await mediator.Send(new ReleaseAssignmentCommand(TenantId, OperatorId, args.AssignmentId), Context.ConnectionAborted));

    public async Task<AssignmentView> Transfer(TransferArgs args) =>
        AssignmentView.From(await mediator.Send(
            new TransferAssignmentCommand(TenantId, OperatorId, args.AssignmentId, args.RoutingKey, args.OperatorId), Context.ConnectionAborted));

    public async Task<AssignmentView> HandBack(AssignmentArgs args) =>
        AssignmentView.From(await mediator.Send(new HandBackAssignmentCommand(TenantId, OperatorId, args.AssignmentId), Context.ConnectionAborted));

    public async Task<AssignmentView> Close(CloseArgs args) =>
        AssignmentView.From(await mediator.Send(new CloseAssignmentCommand(TenantId, OperatorId, args.AssignmentId, args.Resolution),
            Context.ConnectionAborted));

    public async Task<IReadOnlyList<MessageEvent>> History(OperatorHistoryArgs args) =>
        (await mediator.Send(new GetSessionHistoryQuery(TenantId, args.SessionId, args.AfterSeq, args.Limit, OperatorId), Context.ConnectionAborted))
        .Select(MessageEvent.From).ToList();

    // ── The workspace (docs/workspace.md): conversations, search, tags, notes, canned responses, teammates, collision ──

    public async Task<Core.Workspace.ConversationPage> ListConversations(ConversationsArgs args) =>
        await mediator.Send(new Core.Workspace.ListConversationsQuery(TenantId, args.ToFilter(), OperatorId), Context.ConnectionAborted);

    public async Task<Core.Workspace.ConversationDetail> GetConversation(SessionArgs args) =>
        await mediator.Send(new Core.Workspace.GetConversationQuery(TenantId, args.SessionId, OperatorId), Context.ConnectionAborted);

    public async Task<object> SetTags(TagsArgs args) =>
        new { session_id = args.SessionId, tags = await mediator.Send(new Core.Workspace.SetTagsCommand(TenantId, args.SessionId, args.Tags, OperatorId),
            Context.ConnectionAborted) };

    public async Task<Core.Workspace.Note> AddNote(NoteArgs args) =>
        await mediator.Send(new Core.Workspace.AddNoteCommand(TenantId, args.SessionId, args.Text, OperatorId), Context.ConnectionAborted);

    public async Task<IReadOnlyList<Core.Workspace.CannedView>> ListCannedResponses(CannedArgs args) =>
        await mediator.Send(new Core.Workspace.ListCannedResponsesQuery(TenantId, OperatorId, args.SessionId), Context.ConnectionAborted);

    public async Task<IReadOnlyList<Core.Workspace.TeammateView>> ListTeammates() =>
        await mediator.Send(new Core.Workspace.ListTeammatesQuery(TenantId), Context.ConnectionAborted);

    public async Task Viewing(ViewingArgs args) =>
        await mediator.Send(new Core.Workspace.SignalViewingCommand(TenantId, OperatorId, args.SessionId, args.Viewing, args.Typing), Context.ConnectionAborted);
}
