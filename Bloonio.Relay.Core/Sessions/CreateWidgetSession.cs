using System.Text.Json;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Quotas;
using FluentValidation;
using Microsoft.Extensions.Options;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

public sealed record CreateWidgetSessionCommand(
    string? WidgetKey, string? Origin, string? Mode, string? RoutingKey, VisitorInfo? Visitor, JsonElement? Metadata, string? ResumeToken,
    string? ClientIp = null)
    : IRequest<WidgetSessionResult>;

/// <param name="ExpiresAt">When the visitor token expires, unix seconds (as every token response).</param>
public sealed record WidgetSessionResult(
    Guid SessionId, Guid VisitorId, string VisitorToken, string ResumeToken, long ExpiresAt, string Mode, string? RoutingKey,
    string Status, string HubUrl, bool Resumed);

public sealed class CreateWidgetSessionValidator : AbstractValidator<CreateWidgetSessionCommand>
{
    public CreateWidgetSessionValidator()
    {
        RuleFor(x => x.Mode).MustBeMode();
        RuleFor(x => x.RoutingKey).MustBeOptionalRoutingKey();
        RuleFor(x => x.Metadata).MustBeMetadata();
        RuleFor(x => x.ResumeToken).Must(t => t is null || t.Length <= 128).WithMessage("must be at most 128 characters");
        this.ApplyVisitorRules(x => x.Visitor);
    }
}

/// <summary>
/// Opens a visitor session (or resumes one with a valid resume token whose session is still open) and issues a
/// 12-hour visitor token for <c>/hubs/visitor</c>.
/// </summary>
public sealed class CreateWidgetSessionHandler(
    WidgetGate gate, ISessionRepository sessions, IVisitorTokenIssuer tokens, IRateLimiter limiter, IOptions<QuotaDefaults> quotas, TimeProvider clock)
    : IRequestHandler<CreateWidgetSessionCommand, WidgetSessionResult>
{
    public const string HubPath = "/hubs/visitor";

    public async Task<WidgetSessionResult> Handle(CreateWidgetSessionCommand request, CancellationToken cancellationToken)
    {
        var tenant = await gate.OpenAsync(request.WidgetKey, request.Origin, cancellationToken);
        var limit = quotas.Value.For(tenant.Quotas).WidgetSessionsPerMinute;
        var decision = await limiter.AcquireAsync($"widget-sessions:{tenant.TenantId}:{request.ClientIp}", limit, cancellationToken);
        if (!decision.Allowed)
        {
            throw new RateLimitedException(decision, $"More than {limit} new sessions per minute from this address; retry in {decision.ResetSeconds} s");
        }

        if (request.ResumeToken is { Length: > 0 } resume
            && await sessions.FindOpenByResumeTokenAsync(tenant.TenantId, SessionRules.HashResumeToken(resume), cancellationToken) is { } open)
        {
            return Result(open, resume, resumed: true);
        }

        var now = clock.GetUtcNow();
        var mode = SessionRules.EffectiveMode(request.Mode, tenant.Configuration.FeatureFlags);
        var session = new Session(Ids.New(clock), tenant.TenantId, Ids.New(clock), null, mode, SessionStatuses.Open, request.RoutingKey,
            request.Visitor?.DisplayName?.Trim(), request.Visitor?.Email?.Trim().ToLowerInvariant(), null, 0, now, null);
        var resumeToken = "brt_" + SecretGenerator.RandomToken();
        var created = new RelayEvent(Ids.New(clock), EventTypes.SessionCreated,
            new { session_id = session.SessionId, mode, routing_key = session.RoutingKey, visitor_id = session.VisitorId }, now);
        await sessions.CreateAsync(session, SessionRules.HashResumeToken(resumeToken), SessionRules.MetadataJson(request.Metadata), created,
            cancellationToken);
        return Result(session, resumeToken, resumed: false);
    }

    private WidgetSessionResult Result(Session session, string resumeToken, bool resumed)
    {
        var token = tokens.Issue(session.TenantId, session.SessionId, session.VisitorId);
        return new WidgetSessionResult(session.SessionId, session.VisitorId, token.Token, resumeToken, token.ExpiresAt.ToUnixTimeSeconds(),
            session.Mode, session.RoutingKey, session.Status, HubPath, resumed);
    }
}
