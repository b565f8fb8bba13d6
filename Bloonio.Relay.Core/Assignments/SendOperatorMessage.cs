using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

public sealed record SendOperatorMessageCommand(
    Guid TenantId, Guid OperatorId, Guid SessionId, string? ClientMessageId, [MultilineText] string? Text, IReadOnlyList<Guid>? Attachments = null)
    : IRequest<MessageAck>, ITenantScoped;

public sealed class SendOperatorMessageValidator : AbstractValidator<SendOperatorMessageCommand>
{
    public SendOperatorMessageValidator()
    {
        RuleFor(x => x.Text).MustBeMessageText().When(x => x.Attachments is not { Count: > 0 } || !string.IsNullOrWhiteSpace(x.Text));
        RuleFor(x => x.Attachments).MustBeAttachmentList();
        RuleFor(x => x.ClientMessageId).MustBeClientMessageId();
    }
}

/// <summary>Only the operator the session is assigned to may write in it (decided under the session's lock, with the append).</summary>
public sealed class SendOperatorMessageHandler(
    OperatorAccess access, ISessionTransitions transitions, IRelayNotifier notifier, Quotas.MonthlyMessageGate month, TimeProvider clock,
    Attachments.MessageAttachments attachments)
    : IRequestHandler<SendOperatorMessageCommand, MessageAck>
{
    public async Task<MessageAck> Handle(SendOperatorMessageCommand request, CancellationToken cancellationToken)
    {
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var taken = Attachments.MessageAttachments.Taken.None(Attachments.MessageAttachments.ClaimOf(request.ClientMessageId));
        AppendOutcome outcome;
        try
        {
            taken = await attachments.TakeAsync(request.TenantId, request.SessionId, Attachments.Participant.Operator(request.OperatorId),
                request.Attachments, taken.Claim, cancellationToken);
            var message = new NewMessage(Ids.New(clock), new Sender(SenderTypes.Operator, request.OperatorId, membership.DisplayName),
                Attachments.MessageAttachments.TextOf(request.Text, taken.Refs), request.ClientMessageId, clock.GetUtcNow(),
                taken.Refs is null ? null : new MessageExtras(Attachments: taken.Refs));
            outcome = await transitions.AppendAsync(request.TenantId, request.SessionId, message, Author.Operator, request.OperatorId,
                cancellationToken);
        }
        catch
        {
            await attachments.ReleaseAsync(request.TenantId, taken);
            throw;
        }

        if (!outcome.Duplicate)
        {
            month.Counted(request.TenantId);
            await notifier.MessageAsync(outcome.Message, request.OperatorId, cancellationToken);
        }
        else
        {
            // A retry: the first send may have been stored by a node that died before pushing it. Push it again to
            // whoever hears the session now (clients de-duplicate by seq): at-least-once live delivery.
            await notifier.MessageAsync(outcome.Message, outcome.Assignee, cancellationToken);
        }

        return new MessageAck(outcome.Message.MessageId, outcome.Message.Seq, outcome.Message.CreatedAt);
    }
}
