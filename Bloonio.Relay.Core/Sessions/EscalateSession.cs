using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// bot → WAITING (SPEC 7): the visitor asked for a human, the brain said so, the backend did, or the brain is down.
/// The brain makes a ticket first when it can (<paramref name="TicketNow"/>: not when it has just failed); a session left
/// without one gets it from the ticket consumer, which asks until the brain answers.
/// </summary>
public sealed record EscalateSessionCommand(Guid TenantId, Guid SessionId, string? Reason, string? RoutingKey = null, bool TicketNow = true)
    : IRequest<Assignment>, ITenantScoped;

public sealed class EscalateSessionValidator : AbstractValidator<EscalateSessionCommand>
{
    public EscalateSessionValidator()
    {
        RuleFor(x => x.Reason).Must(r => r is null || r.Length <= 500).WithMessage("must be at most 500 characters");
        RuleFor(x => x.RoutingKey).MustBeOptionalRoutingKey();
    }
}

public sealed class EscalateSessionHandler(
    ISessionRepository sessions, ISessionTransitions transitions, ITenantRepository tenants, IBrain brain, QueueNotifications queue,
    IRelayNotifier notifier, TimeProvider clock, ILogger<EscalateSessionHandler> logger)
    : IRequestHandler<EscalateSessionCommand, Assignment>
{
    public async Task<Assignment> Handle(EscalateSessionCommand request, CancellationToken cancellationToken)
    {
        var session = await sessions.GetAsync(request.TenantId, request.SessionId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.SessionNotFound, "Session not found");
        EnsureOpen(session); // before asking the brain for a ticket; decided again under the lock
        var tenant = await tenants.GetAsync(request.TenantId, cancellationToken);
        if (tenant is { Configuration.FeatureFlags.HumanHandoff: false })
        {
            throw new ConflictException(ErrorCodes.HandoffDisabled, "Human handoff is disabled for this tenant");
        }

        var reason = string.IsNullOrWhiteSpace(request.Reason) ? "visitor asked for a human" : request.Reason.Trim();
        var routingKey = request.RoutingKey ?? session.RoutingKey;
        var ticketId = request.TicketNow ? await TryTicketAsync(request, session, reason, routingKey, cancellationToken) : null;
        var now = clock.GetUtcNow();
        var notice = new NewMessage(Ids.New(clock), new Sender(SenderTypes.System), "Connecting you with a human. Please hold on.", null, now);
        var done = (await transitions.RunAsync(new TransitionCommand(request.TenantId, SessionTrigger.Escalate, now, request.SessionId,
            RoutingKey: routingKey, TicketId: ticketId, Reason: reason, Notice: notice), cancellationToken))!;

        await notifier.MessageAsync(done.Notice!, null, cancellationToken);
        await queue.WaitingAsync(done.After!, cancellationToken);
        return done.After!;
    }

    private async Task<string?> TryTicketAsync(EscalateSessionCommand request, Session session, string reason, string? routingKey,
        CancellationToken ct)
    {
        try
        {
            var tail = (await sessions.ListMessagesAsync(request.TenantId, request.SessionId, Math.Max(0, session.LastSeq - 10), 10, ct))
                .Select(m => $"{m.Sender.Type}: {m.Text}").ToList();
            return await brain.CreateTicketAsync(new TicketRequest(request.TenantId, request.SessionId, reason, routingKey,
                new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), tail), ct);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException or BrainUnavailableException or TaskCanceledException)
        {
            logger.LogInformation("No ticket yet for session {SessionId} ({Cause}); escalating without one, the ticket consumer asks again",
                request.SessionId, ex.Message);
            return null;
        }
    }

    private static void EnsureOpen(Session session)
    {
        if (session.Status == SessionStatuses.Closed)
        {
            throw new ConflictException(ErrorCodes.SessionClosed, "The session is closed");
        }

        if (session.Status != SessionStatuses.Open)
        {
            throw new ConflictException(ErrorCodes.AlreadyEscalated, "The session is already with humans");
        }
    }
}
