using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record CloseAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId, string? Resolution)
    : IRequest<Assignment>, ITenantScoped;

public sealed class CloseAssignmentValidator : AbstractValidator<CloseAssignmentCommand>
{
    public CloseAssignmentValidator() =>
        RuleFor(x => x.Resolution).Must(r => r is null || r.Length <= 500).WithMessage("must be at most 500 characters");
}

/// <summary>The assigned operator closes the conversation: the assignment and the session close with a system message.</summary>
public sealed class CloseAssignmentHandler(
    OperatorAccess access, ISessionTransitions transitions, IRelayNotifier notifier, TimeProvider clock)
    : IRequestHandler<CloseAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(CloseAssignmentCommand request, CancellationToken cancellationToken)
    {
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var now = clock.GetUtcNow();
        var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System), $"{membership.DisplayName} closed the conversation.", null, now);
        var closed = (await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.OperatorClose, now,
            AssignmentId: request.AssignmentId, OperatorId: request.OperatorId, Reason: request.Resolution, Notice: notice), cancellationToken))!;

        await notifier.MessageAsync(closed.Notice!, request.OperatorId, cancellationToken);
        await notifier.SessionStateAsync(request.TenantId, closed.Session.SessionId, SessionStatuses.Closed, null, null, cancellationToken);
        return closed.After!;
    }
}
