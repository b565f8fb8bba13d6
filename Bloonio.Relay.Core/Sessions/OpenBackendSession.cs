using System.Text.Json;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Security;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// SPEC 4 fetch/visitor-token and provision/session: a session for a visitor the tenant's backend vouches for
/// (<c>external_user_id</c>). An open session of that user in the same routing key is resumed, never duplicated
/// (a unique index settles concurrent calls). provision/session may post an initial message as the visitor.
/// </summary>
public sealed record OpenBackendSessionCommand(
    Guid TenantId, string? ExternalUserId, string? DisplayName, string? Email, string? Mode, string? RoutingKey, JsonElement? Metadata,
    [MultilineText] string? InitialMessage) : IRequest<BackendSessionResult>, ITenantScoped;

public sealed record BackendSessionResult(WidgetSessionResult Session, MessageAck? InitialMessage);

public sealed class OpenBackendSessionValidator : AbstractValidator<OpenBackendSessionCommand>
{
    public OpenBackendSessionValidator()
    {
        RuleFor(x => x.ExternalUserId).Must(id => !string.IsNullOrWhiteSpace(id) && id.Length <= 128).WithMessage("is required, at most 128 characters");
        RuleFor(x => x.Mode).MustBeMode();
        RuleFor(x => x.RoutingKey).MustBeOptionalRoutingKey();
        RuleFor(x => x.Metadata).MustBeMetadata();
        RuleFor(x => x.InitialMessage).MustBeMessageText().When(x => x.InitialMessage is not null);
        this.ApplyVisitorRules(x => new VisitorInfo(x.DisplayName, x.Email));
    }
}

public sealed class OpenBackendSessionHandler(
    ISessionRepository sessions, Tenants.ITenantRepository tenants, IVisitorTokenIssuer tokens, IMediator mediator, TimeProvider clock)
    : IRequestHandler<OpenBackendSessionCommand, BackendSessionResult>
{
    public async Task<BackendSessionResult> Handle(OpenBackendSessionCommand request, CancellationToken cancellationToken)
    {
        var userId = request.ExternalUserId!.Trim();
        var (session, resumeToken, resumed) = await OpenAsync(request, userId, cancellationToken);
        var token = tokens.Issue(session.TenantId, session.SessionId, session.VisitorId);
        var result = new WidgetSessionResult(session.SessionId, session.VisitorId, token.Token, resumeToken, token.ExpiresAt.ToUnixTimeSeconds(),
            session.Mode, session.RoutingKey, session.Status, CreateWidgetSessionHandler.HubPath, resumed);

        MessageAck? initial = null;
        if (request.InitialMessage is { } text)
        {
            initial = await mediator.Send(new SendVisitorMessageCommand(request.TenantId, session.SessionId, session.VisitorId,
                $"initial-{session.SessionId}", text), cancellationToken);
        }

        return new BackendSessionResult(result, initial);
    }

    private async Task<(Session Session, string ResumeToken, bool Resumed)> OpenAsync(OpenBackendSessionCommand request, string userId, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (await sessions.FindOpenForUserAsync(request.TenantId, userId, request.RoutingKey, ct) is { } open)
            {
                // Resume tokens are stored hashed, so resuming issues a new one (the previous one stops working).
                var fresh = "brt_" + SecretGenerator.RandomToken();
                await sessions.RotateResumeTokenAsync(request.TenantId, open.SessionId, SessionRules.HashResumeToken(fresh), ct);
                return (open, fresh, true);
            }

            var tenant = await tenants.GetAsync(request.TenantId, ct) ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
            var now = clock.GetUtcNow();
            var mode = SessionRules.EffectiveMode(request.Mode, tenant.Configuration.FeatureFlags);
            var session = new Session(Ids.New(clock), request.TenantId, Ids.New(clock), userId, mode, SessionStatuses.Open, request.RoutingKey,
                request.DisplayName?.Trim(), request.Email?.Trim().ToLowerInvariant(), null, 0, now, null);
            var resumeToken = "brt_" + SecretGenerator.RandomToken();
            var created = new RelayEvent(Ids.New(clock), EventTypes.SessionCreated,
                new { session_id = session.SessionId, mode, routing_key = session.RoutingKey, visitor_id = session.VisitorId, external_user_id = userId }, now);
            if (await sessions.TryCreateForUserAsync(session, SessionRules.HashResumeToken(resumeToken), SessionRules.MetadataJson(request.Metadata), created, ct))
            {
                return (session, resumeToken, false);
            }

            if (attempt > 2)
            {
                throw new ConflictException(ErrorCodes.SessionClosed, "The user's session is changing state; retry");
            }
        }
    }
}
