using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// Outside hours or with nobody online, the widget takes an email and a message instead of a queue: it becomes a
/// conversation that starts ended (status closed, <c>offline</c> in the lists), a ticket through the brain, and
/// <c>session.offline_message</c> for the tenant's backend. Rate-limited per address like new widget sessions.
/// </summary>
public sealed record LeaveOfflineMessageCommand(
    string? WidgetKey, string? Origin, string? Email, string? DisplayName, [MultilineText] string? Text, string? RoutingKey, string? ClientIp = null)
    : IRequest<OfflineMessageResult>;

public sealed record OfflineMessageResult(Guid SessionId, string Email, DateTimeOffset CreatedAt);

public sealed class LeaveOfflineMessageValidator : AbstractValidator<LeaveOfflineMessageCommand>
{
    public LeaveOfflineMessageValidator()
    {
        RuleFor(x => x.Email).MustBeEmail();
        RuleFor(x => x.Text).MustBeMessageText();
        RuleFor(x => x.DisplayName).Must(n => n is null || n.Trim().Length <= 120).WithMessage("must be at most 120 characters");
        RuleFor(x => x.RoutingKey).Must(k => k is null || OperatorRules.IsRoutingKey(k)).WithMessage("is not a routing key");
    }
}

public sealed class LeaveOfflineMessageHandler(
    WidgetGate gate, Workspace.IWorkspaceRepository workspace, Quotas.IRateLimiter limiter, Microsoft.Extensions.Options.IOptions<Quotas.QuotaDefaults> quotas,
    TimeProvider clock) : IRequestHandler<LeaveOfflineMessageCommand, OfflineMessageResult>
{
    public async Task<OfflineMessageResult> Handle(LeaveOfflineMessageCommand request, CancellationToken cancellationToken)
    {
        var tenant = await gate.OpenAsync(request.WidgetKey, request.Origin, cancellationToken);
        var limit = quotas.Value.For(tenant.Quotas).WidgetSessionsPerMinute;
        var decision = await limiter.AcquireAsync($"offline:{tenant.TenantId}:{request.ClientIp}", limit, cancellationToken);
        if (!decision.Allowed)
        {
            throw new Quotas.RateLimitedException(decision, $"More than {limit} messages per minute from this address; retry in {decision.ResetSeconds} s");
        }

        var now = clock.GetUtcNow();
        var email = OperatorRules.NormalizeEmail(request.Email!);
        var sessionId = await workspace.CreateOfflineAsync(tenant.TenantId, email, request.DisplayName?.Trim() is { Length: > 0 } n ? n : null,
            request.RoutingKey, request.Text!.Trim(), now, cancellationToken);
        return new OfflineMessageResult(sessionId, email, now);
    }
}
