using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

public sealed record BackendSender(string? Type, string? Email);

/// <summary>
/// SPEC 4: the tenant's backend writes into a session as the system, the bot, or one of its operators (by email);
/// delivered live to the visitor and the assigned operator. client_message_id makes it idempotent.
/// </summary>
public sealed record PostBackendMessageCommand(
    Guid TenantId, Guid SessionId, [MultilineText] string? Text, string? ClientMessageId, BackendSender? Sender, IReadOnlyList<QuickReply?>? QuickReplies = null,
    IReadOnlyList<Guid>? Attachments = null)
    : IRequest<MessageAck>, ITenantScoped;

public sealed class PostBackendMessageValidator : AbstractValidator<PostBackendMessageCommand>
{
    public PostBackendMessageValidator()
    {
        RuleFor(x => x.Text).MustBeMessageText().When(x => x.Attachments is not { Count: > 0 } || !string.IsNullOrWhiteSpace(x.Text));
        RuleFor(x => x.Attachments).MustBeAttachmentList();
        RuleFor(x => x.ClientMessageId).MustBeClientMessageId();
        RuleFor(x => x.QuickReplies).Must(QuickReplies.AreValid)
            .WithMessage($"must be at most {MessageExtras.MaxQuickReplies}, each with a label of 1 to {MessageExtras.MaxLabel} characters");
        RuleFor(x => x.Sender).NotNull().WithMessage("is required: {\"type\": \"system\" | \"bot\" | \"operator\", \"email\"}");
        RuleFor(x => x.Sender!.Type).Must(t => t is SenderTypes.System or SenderTypes.Bot or SenderTypes.Operator)
            .WithMessage("must be system, bot or operator").OverridePropertyName("sender.type").When(x => x.Sender is not null);
        RuleFor(x => x.Sender!.Email).NotEmpty().WithMessage("is required for an operator sender").OverridePropertyName("sender.email")
            .When(x => x.Sender?.Type == SenderTypes.Operator);
    }
}

public sealed class PostBackendMessageHandler(
    ISessionTransitions transitions, IOperatorRepository operators, IRelayNotifier notifier, Quotas.MonthlyMessageGate month, TimeProvider clock,
    Attachments.MessageAttachments attachments)
    : IRequestHandler<PostBackendMessageCommand, MessageAck>
{
    public async Task<MessageAck> Handle(PostBackendMessageCommand request, CancellationToken cancellationToken)
    {
        var sender = request.Sender!.Type switch
        {
            SenderTypes.Operator => await OperatorAsync(request.TenantId, request.Sender.Email!, cancellationToken),
            SenderTypes.Bot => new Sender(SenderTypes.Bot, null, "Assistant"),
            _ => new Sender(SenderTypes.System),
        };
        // The backend's uploads are the tenant's: any of them in this session may be sent (once).
        var taken = Attachments.MessageAttachments.Taken.None(Attachments.MessageAttachments.ClaimOf(request.ClientMessageId));
        AppendOutcome outcome;
        try
        {
            taken = await attachments.TakeAsync(request.TenantId, request.SessionId, Attachments.Participant.Backend, request.Attachments, taken.Claim,
                cancellationToken);
            var extras = new MessageExtras(QuickReplies: QuickReplies.Clean(request.QuickReplies), Attachments: taken.Refs);
            outcome = await transitions.AppendAsync(request.TenantId, request.SessionId,
                new NewMessage(Ids.New(clock), sender, Attachments.MessageAttachments.TextOf(request.Text, taken.Refs), request.ClientMessageId,
                    clock.GetUtcNow(), extras.IsEmpty ? null : extras), Author.Backend, null, cancellationToken);
        }
        catch
        {
            await attachments.ReleaseAsync(request.TenantId, taken);
            throw;
        }
        if (!outcome.Duplicate && sender.Type != SenderTypes.System)
        {
            month.Counted(request.TenantId);
        }

        // A retry is pushed again (at-least-once live delivery; clients de-duplicate by seq).
        await notifier.MessageAsync(outcome.Message, outcome.Assignee, cancellationToken);

        return new MessageAck(outcome.Message.MessageId, outcome.Message.Seq, outcome.Message.CreatedAt);
    }

    private async Task<Sender> OperatorAsync(Guid tenantId, string email, CancellationToken ct) =>
        await operators.FindMembershipAsync(tenantId, OperatorRules.NormalizeEmail(email), ct) is { Active: true, OperatorActive: true } m
            ? new Sender(SenderTypes.Operator, m.OperatorId, m.DisplayName)
            : throw new NotFoundException(ErrorCodes.OperatorNotFound, "Operator not found");
}
