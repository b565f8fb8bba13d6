using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Workspace;

/// <summary>
/// Collision hints: an operator opens (or leaves) a conversation, or starts typing in it; the operators who may have it
/// open (its queue, its holder) get <c>viewing</c> with who and what. Not stored: it lives as long as the inbox says so.
/// </summary>
public sealed record SignalViewingCommand(Guid TenantId, Guid OperatorId, Guid SessionId, bool Viewing, bool Typing = false)
    : IRequest<Unit>, ITenantScoped;

public sealed record ViewingEvent(Guid SessionId, Guid OperatorId, string DisplayName, bool Viewing, bool Typing);

public sealed class SignalViewingHandler(IWorkspaceRepository workspace, OperatorAccess access, Sessions.IRelayNotifier notifier)
    : IRequestHandler<SignalViewingCommand, Unit>
{
    public async Task<Unit> Handle(SignalViewingCommand request, CancellationToken cancellationToken)
    {
        var detail = await workspace.GetAsync(request.TenantId, request.SessionId, cancellationToken, full: false)
                     ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        await Conversations.RequireVisibleAsync(access, request.TenantId, request.OperatorId, detail, cancellationToken);
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        await notifier.ToSessionOperatorsAsync(request.TenantId, detail.Summary.RoutingKey, detail.Summary.OperatorId, "viewing",
            new ViewingEvent(request.SessionId, request.OperatorId, membership.DisplayName, request.Viewing, request.Typing && request.Viewing),
            cancellationToken);
        return Unit.Value;
    }
}
