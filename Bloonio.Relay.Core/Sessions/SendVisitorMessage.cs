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
public sealed record SendVisitorMessageCommand(Guid TenantId, Guid SessionId, Guid VisitorId, string? ClientMessageId, string? Text)
    : IRequest<MessageAck>, ITenantScoped;

public sealed record MessageAck(Guid MessageId, int Seq, DateTimeOffset CreatedAt);

public sealed class SendVisitorMessageValidator : AbstractValidator<SendVisitorMessageCommand>
{
    public SendVisitorMessageValidator()
    {
        RuleFor(x => x.Text).MustBeMessageText();
        RuleFor(x => x.ClientMessageId).MustBeClientMessageId();
    }
}

/// <summary>
/// Stores the message before acknowledging it; a repeated client_message_id returns the first ack and stores nothing.
/// In human mode the first message queues the session (WAITING), offered to its routing key and tenant-wide operators.
/// </summary>
public sealed class SendVisitorMessageHandler(
    ISessionRepository sessions, IAssignmentRepository assignments, IRelayNotifier notifier, QueueNotifications queue, IBotLane bot,
    ITenantRepository tenants, IRateLimiter limiter, IOptions<QuotaDefaults> quotas, TimeProvider clock)
    : IRequestHandler<SendVisitorMessageCommand, MessageAck>
{
    public async Task<MessageAck> Handle(SendVisitorMessageCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken);
        if (session is null || session.VisitorId != request.VisitorId)
        {
            throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        }

        if (session.Status == SessionStatuses.Closed)
        {
            throw new ConflictException(ErrorCodes.SessionClosed, "The session is closed; open a new one");
        }

        var quota = quotas.Value.For((await tenants.GetAsync(request.TenantId, cancellationToken))?.Quotas ?? new TenantQuotas());
        var decision = await limiter.AcquireAsync($"visitor-messages:{request.SessionId}", quota.VisitorMessagesPerMinute, cancellationToken);
        if (!decision.Allowed)
        {
            throw new RateLimitedException(decision,
                $"More than {quota.VisitorMessagesPerMinute} messages per minute; wait {decision.ResetSeconds} s");
        }

        var message = new NewMessage(Ids.New(clock), new Sender(SenderTypes.Visitor, request.VisitorId, session.VisitorDisplayName),
            request.Text!.Trim(), request.ClientMessageId, clock.GetUtcNow());
        var outcome = await sessions.AppendAsync(request.TenantId, request.SessionId, message, queueIfHuman: true, cancellationToken,
            quota.MessagesPerMonth);
        if (outcome.QuotaExceeded)
        {
            throw MonthlyQuota.Exceeded(quota.MessagesPerMonth, clock);
        }

        if (!outcome.Duplicate)
        {
            var assignee = session.Status == SessionStatuses.Assigned
                ? (await assignments.FindOpenForSessionAsync(request.TenantId, request.SessionId, cancellationToken))?.OperatorId
                : null;
            await notifier.MessageAsync(outcome.Message, assignee, cancellationToken);
            if (outcome.CreatedAssignment is { } waiting)
            {
                await queue.WaitingAsync(waiting, cancellationToken);
            }
            else if (session is { Mode: SessionModes.Bot, Status: SessionStatuses.Open })
            {
                bot.Enqueue(outcome.Message);
            }
        }

        return new MessageAck(outcome.Message.MessageId, outcome.Message.Seq, outcome.Message.CreatedAt);
    }
}
