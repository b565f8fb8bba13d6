using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// The bot lane's work for one visitor message: ask the brain, post its reply, escalate when it says so. By
/// <paramref name="Deadline"/> the visitor has a reply or a human queue: a brain that fails, is cut off by its circuit, or
/// is still thinking at the deadline escalates the session (with EscalateOnFailure), whichever comes first.
/// </summary>
public sealed record AnswerWithBotCommand(Guid TenantId, Guid SessionId, Guid MessageId, int Seq, string Text, DateTimeOffset Deadline)
    : IRequest<Unit>, ITenantScoped;

public sealed class AnswerWithBotHandler(
    ISessionRepository sessions, ISessionTransitions transitions, Quotas.MonthlyMessageGate month, IBrain brain, IRelayNotifier notifier, IMediator mediator, TimeProvider clock,
    IOptions<RelayCoreOptions> options, ILogger<AnswerWithBotHandler> logger)
    : IRequestHandler<AnswerWithBotCommand, Unit>
{
    public async Task<Unit> Handle(AnswerWithBotCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken);
        if (session is not { Mode: SessionModes.Bot, Status: SessionStatuses.Open })
        {
            return Unit.Value; // escalated or closed meanwhile: the bot never answers a session that left it
        }

        var left = request.Deadline - clock.GetUtcNow();
        if (left <= TimeSpan.Zero)
        {
            // Taken up after its deadline (a node died holding it, or the lane was saturated): no brain call now.
            await FailedAsync(request, "the assistant did not answer in time", null, cancellationToken);
            return Unit.Value;
        }

        BrainReply reply;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(left);
            try
            {
                reply = await brain.ReplyAsync(new BrainReplyRequest(request.TenantId, request.SessionId, request.MessageId, request.Seq,
                    request.Text, new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), session.RoutingKey),
                    deadline.Token);
            }
            catch (BrainUnavailableException ex)
            {
                await FailedAsync(request, "the assistant is unavailable", ex, cancellationToken);
                return Unit.Value;
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                // The deadline fired before the brain answered: the escalation runs on the lane's token, not the spent one.
                await FailedAsync(request, "the assistant did not answer in time", null, cancellationToken);
                return Unit.Value;
            }
        }

        if (!string.IsNullOrWhiteSpace(reply.Text))
        {
            var text = reply.Text.Length > SessionRules.MaxTextLength ? reply.Text[..SessionRules.MaxTextLength] : reply.Text;
            AppendOutcome outcome;
            try
            {
                outcome = await transitions.AppendAsync(request.TenantId, request.SessionId,
                    new NewMessage(Ids.New(clock), new Sender(SenderTypes.Bot, null, "Assistant"), text, $"bot-reply-{request.MessageId}",
                        clock.GetUtcNow(), Extras(reply)), Author.BotLane, null, cancellationToken);
            }
            catch (ConflictException)
            {
                return Unit.Value; // escalated or closed while the brain thought: the bot never answers a session that left it
            }

            if (!outcome.Duplicate)
            {
                month.Counted(request.TenantId);
            }

            await notifier.MessageAsync(outcome.Message, null, cancellationToken); // a retried reply is pushed again
        }

        if (reply.Escalate)
        {
            await EscalateAsync(request, reply.EscalateReason ?? "the assistant handed over", cancellationToken);
        }

        return Unit.Value;
    }

    /// <summary>No reply by the brain: the visitor goes to a human (with EscalateOnFailure), without a ticket for now (the
    /// brain just failed; the ticket consumer asks for one until the brain answers).</summary>
    private async Task FailedAsync(AnswerWithBotCommand request, string reason, Exception? cause, CancellationToken ct)
    {
        logger.LogWarning(cause, "No bot reply for message {MessageId} of session {SessionId} ({Reason}); {Action}", request.MessageId,
            request.SessionId, reason, options.Value.EscalateOnBrainFailure ? "escalating" : "EscalateOnFailure is off");
        if (options.Value.EscalateOnBrainFailure)
        {
            await EscalateAsync(request, reason, ct, ticketNow: false);
        }
    }

    private async Task EscalateAsync(AnswerWithBotCommand request, string reason, CancellationToken ct, bool ticketNow = true)
    {
        try
        {
            await mediator.Send(new EscalateSessionCommand(request.TenantId, request.SessionId, reason, TicketNow: ticketNow), ct);
        }
        catch (ConflictException)
        {
            // Already with humans (the visitor asked at the same time), closed, or handoff disabled: nothing left to do.
        }
    }

    /// <summary>The brain's sources (links under the answer) and quick replies (buttons), bounded to what a widget shows.</summary>
    private static MessageExtras? Extras(BrainReply reply)
    {
        var sources = reply.Sources.Where(s => !string.IsNullOrWhiteSpace(s.Title)).Take(MessageExtras.MaxSources)
            .Select(s => new MessageLink(s.Title.Length > 200 ? s.Title[..200] : s.Title,
                Uri.TryCreate(s.Url, UriKind.Absolute, out var u) && u.Scheme is "https" or "http" ? s.Url : null))
            .ToList();
        var replies = (reply.QuickReplies ?? []).Where(r => !string.IsNullOrWhiteSpace(r.Label)).Take(MessageExtras.MaxQuickReplies)
            .Select(r => new QuickReply(r.Label.Length > MessageExtras.MaxLabel ? r.Label[..MessageExtras.MaxLabel] : r.Label,
                r.Value is { Length: > 200 } v ? v[..200] : r.Value))
            .ToList();
        var extras = new MessageExtras(sources.Count > 0 ? sources : null, replies.Count > 0 ? replies : null);
        return extras.IsEmpty ? null : extras;
    }
}
