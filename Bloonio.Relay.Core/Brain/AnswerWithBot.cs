using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using MediatR;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Brain;

/// <summary>The bot lane's work for one visitor message: ask the brain, post its reply, escalate when it says so.</summary>
public sealed record AnswerWithBotCommand(Guid TenantId, Guid SessionId, Guid MessageId, int Seq, string Text) : IRequest<Unit>, ITenantScoped;

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

        BrainReply reply;
        try
        {
            reply = await brain.ReplyAsync(new BrainReplyRequest(request.TenantId, request.SessionId, request.MessageId, request.Seq, request.Text,
                new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), session.RoutingKey), cancellationToken);
        }
        catch (BrainUnavailableException ex)
        {
            logger.LogWarning(ex, "{Brain} unavailable for session {SessionId}", brain.Name, request.SessionId);
            if (options.Value.EscalateOnBrainFailure)
            {
                await EscalateAsync(request, "the assistant is unavailable", cancellationToken);
            }

            return Unit.Value;
        }

        if (!string.IsNullOrWhiteSpace(reply.Text))
        {
            var text = reply.Text.Length > SessionRules.MaxTextLength ? reply.Text[..SessionRules.MaxTextLength] : reply.Text;
            AppendOutcome outcome;
            try
            {
                outcome = await transitions.AppendAsync(request.TenantId, request.SessionId,
                    new NewMessage(Ids.New(clock), new Sender(SenderTypes.Bot, null, "Assistant"), text, $"bot-reply-{request.MessageId}",
                        clock.GetUtcNow()), Author.BotLane, null, cancellationToken);
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

    private async Task EscalateAsync(AnswerWithBotCommand request, string reason, CancellationToken ct)
    {
        try
        {
            await mediator.Send(new EscalateSessionCommand(request.TenantId, request.SessionId, reason), ct);
        }
        catch (ConflictException)
        {
            // Already with humans (the visitor asked at the same time): nothing left to do.
        }
    }
}
