using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using Microsoft.Extensions.Options;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>A visitor's message from <c>/hubs/visitor</c>; ids come from the visitor token, never from the client.</summary>
/// <param name="InReplyTo">The quick reply this message is (a tap on a button the bot or the backend offered).</param>
/// <param name="Attachments">Files this visitor uploaded into the session, sent with this message.</param>
public sealed record SendVisitorMessageCommand(
    Guid TenantId, Guid SessionId, Guid VisitorId, string? ClientMessageId, [MultilineText] string? Text, QuickReplyRef? InReplyTo = null,
    IReadOnlyList<Guid>? Attachments = null)
    : IRequest<MessageAck>, ITenantScoped;

public sealed record MessageAck(Guid MessageId, int Seq, DateTimeOffset CreatedAt);

public sealed class SendVisitorMessageValidator : AbstractValidator<SendVisitorMessageCommand>
{
    public SendVisitorMessageValidator()
    {
        RuleFor(x => x.Text).MustBeMessageText().When(x => x.Attachments is not { Count: > 0 } || !string.IsNullOrWhiteSpace(x.Text));
        RuleFor(x => x.Attachments).MustBeAttachmentList();
        RuleFor(x => x.ClientMessageId).MustBeClientMessageId();
        RuleFor(x => x.InReplyTo!.Value).Must(v => v is null || v.Length <= 200).WithMessage("must be at most 200 characters")
            .OverridePropertyName("quick_reply.value").When(x => x.InReplyTo is not null);
    }
}

/// <summary>
/// Stores the message before acknowledging it; a repeated client_message_id returns the first ack and stores nothing.
/// In human mode the first message queues the session (WAITING), offered to its routing key and tenant-wide operators.
/// </summary>
public sealed class SendVisitorMessageHandler(
    ISessionTransitions transitions, IRelayNotifier notifier, QueueNotifications queue, IBotLane bot,
    ITenantRepository tenants, IRateLimiter limiter, MonthlyMessageGate month, IOptions<QuotaDefaults> quotas, TimeProvider clock,
    Attachments.MessageAttachments attachments)
    : IRequestHandler<SendVisitorMessageCommand, MessageAck>
{
    public async Task<MessageAck> Handle(SendVisitorMessageCommand request, CancellationToken cancellationToken)
    {
        var quota = quotas.Value.For((await tenants.GetAsync(request.TenantId, cancellationToken))?.Quotas ?? new TenantQuotas());
        var decision = await limiter.AcquireAsync($"visitor-messages:{request.SessionId}", quota.VisitorMessagesPerMinute, cancellationToken);
        if (!decision.Allowed)
        {
            throw new RateLimitedException(decision,
                $"More than {quota.VisitorMessagesPerMinute} messages per minute; wait {decision.ResetSeconds} s");
        }

        var admission = await month.AdmitAsync(request.TenantId, quota.MessagesPerMonth, cancellationToken)
            ?? throw MonthlyQuota.Exceeded(quota.MessagesPerMonth, clock);
        AppendOutcome outcome;
        var stored = false;
        var taken = Attachments.MessageAttachments.Taken.None(Attachments.MessageAttachments.ClaimOf(request.ClientMessageId));
        try
        {
            taken = await attachments.TakeAsync(request.TenantId, request.SessionId,
                Attachments.Participant.Visitor(request.VisitorId, request.SessionId), request.Attachments, taken.Claim, cancellationToken);
            var extras = new MessageExtras(InReplyTo: request.InReplyTo, Attachments: taken.Refs);
            // The visitor's display name is the session's, filled in under its lock (no read of the session here).
            var message = new NewMessage(Ids.New(clock), new Sender(SenderTypes.Visitor, request.VisitorId),
                Attachments.MessageAttachments.TextOf(request.Text, taken.Refs), request.ClientMessageId, clock.GetUtcNow(), extras.IsEmpty ? null : extras);
            // Whether the session still takes messages, who hears this one live, and whether it starts the human queue
            // are decided under the session's lock, with the append.
            outcome = await transitions.AppendAsync(request.TenantId, request.SessionId, message, Author.Visitor, request.VisitorId,
                cancellationToken);
            stored = !outcome.Duplicate;
        }
        catch
        {
            await attachments.ReleaseAsync(request.TenantId, taken);
            throw;
        }
        finally
        {
            admission.Complete(stored);
        }

        // A retry is pushed again too (the first send may have been stored by a node that died before pushing it;
        // clients de-duplicate by seq): at-least-once live delivery. It starts nothing a second time.
        await notifier.MessageAsync(outcome.Message, outcome.Assignee, cancellationToken);
        if (!outcome.Duplicate)
        {
            if (outcome.CreatedAssignment is { } waiting)
            {
                await queue.WaitingAsync(waiting, cancellationToken);
            }
            else if (outcome.ToBot)
            {
                bot.Wake(); // the bot's work was stored with the message
            }
        }

        return new MessageAck(outcome.Message.MessageId, outcome.Message.Seq, outcome.Message.CreatedAt);
    }
}
