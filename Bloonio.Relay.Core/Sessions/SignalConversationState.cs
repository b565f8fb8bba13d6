using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// Typing and read receipts (SPEC 6): relayed live between the visitor and the assigned operator, never stored.
/// <paramref name="Who"/> is the caller from its token; a visitor only in its own session, an operator only in one
/// assigned to it.
/// </summary>
public sealed record SignalConversationStateCommand(Guid TenantId, Guid SessionId, Sender Who, bool? IsTyping, int? ReadSeq)
    : IRequest<Unit>, ITenantScoped;

public sealed class SignalConversationStateValidator : AbstractValidator<SignalConversationStateCommand>
{
    public SignalConversationStateValidator() =>
        RuleFor(x => x.ReadSeq).GreaterThanOrEqualTo(0).WithMessage("must be 0 or more").OverridePropertyName("seq");
}

public sealed class SignalConversationStateHandler(
    ISessionRepository sessions, IAssignmentRepository assignments, ITenantRepository tenants, IRelayNotifier notifier)
    : IRequestHandler<SignalConversationStateCommand, Unit>
{
    public async Task<Unit> Handle(SignalConversationStateCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken);
        var assignee = session is null ? null : (await assignments.FindOpenForSessionAsync(request.TenantId, request.SessionId, cancellationToken))?.OperatorId;
        var allowed = request.Who.Type == SenderTypes.Visitor ? session?.VisitorId == request.Who.Id : assignee is not null && assignee == request.Who.Id;
        if (!allowed)
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        var who = new { type = request.Who.Type, id = request.Who.Id, display_name = request.Who.DisplayName };
        if (request.IsTyping is { } typing)
        {
            if ((await tenants.GetAsync(request.TenantId, cancellationToken))?.Configuration.FeatureFlags.TypingIndicators == true)
            {
                await notifier.SignalAsync(request.TenantId, request.SessionId, assignee, "typing",
                    new { session_id = request.SessionId, sender = who, is_typing = typing }, cancellationToken);
            }
        }
        else if (request.ReadSeq is { } seq)
        {
            await notifier.SignalAsync(request.TenantId, request.SessionId, assignee, "read",
                new { session_id = request.SessionId, reader = who, seq }, cancellationToken);
        }

        return Unit.Value;
    }
}
