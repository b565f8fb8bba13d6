using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Console;

/// <summary>Sends console mail (password reset links): SMTP when configured; otherwise Development logs the link.</summary>
public interface IConsoleMailer
{
    /// <returns>False when no mail can be sent (no SMTP configured outside Development).</returns>
    Task<bool> SendPasswordResetAsync(string email, string link, CancellationToken ct);
}

public static class PasswordResets
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public static (string Token, byte[] Hash) New()
    {
        var token = "bpr_" + SecretGenerator.RandomToken();
        return (token, InviteTokens.Hash(token));
    }
}

/// <summary>
/// "Forgot password": a one-time link (1 hour) mailed to the account's email. The answer is the same whether the account
/// exists or not. <paramref name="LinkBase"/> is the relay's public URL (never the request's Host header, which an
/// attacker chooses); null when none is configured, and then no link is made.
/// </summary>
public sealed record RequestPasswordResetCommand(string? Email, string? LinkBase, string? ClientIp = null) : IRequest<Unit>;

public sealed class RequestPasswordResetHandler(
    IConsoleRepository console, IConsoleMailer mailer, Quotas.IRateLimiter limiter, TimeProvider clock, ILogger<RequestPasswordResetHandler> logger)
    : IRequestHandler<RequestPasswordResetCommand, Unit>
{
    public async Task<Unit> Handle(RequestPasswordResetCommand request, CancellationToken cancellationToken)
    {
        var email = string.IsNullOrWhiteSpace(request.Email) ? "" : OperatorRules.NormalizeEmail(request.Email);
        var decision = await limiter.AcquireAsync($"console-reset:{email}:{request.ClientIp}", 3, cancellationToken);
        if (!decision.Allowed)
        {
            throw new Quotas.RateLimitedException(decision, $"Too many reset requests; try again in {decision.ResetSeconds} s");
        }

        var user = email.Length == 0 ? null : await console.FindUserAsync(email, cancellationToken);
        if (user is null)
        {
            return Unit.Value;
        }

        if (request.LinkBase is null)
        {
            logger.LogWarning("A password reset was asked for but Relay:PublicUrl is not set: no link can be mailed");
            return Unit.Value;
        }

        var (token, hash) = PasswordResets.New();
        var now = clock.GetUtcNow();
        await console.CreatePasswordResetAsync(user.UserId, hash, now + PasswordResets.Lifetime, now, cancellationToken);
        await mailer.SendPasswordResetAsync(user.Email, $"{request.LinkBase.TrimEnd('/')}/console/password/reset/{token}", cancellationToken);
        return Unit.Value;
    }
}

/// <summary>
/// An owner makes a reset link for a member, to hand over in person (no mail needed). Only for an account all of whose
/// tenants this owner owns: an owner of one tenant must not be able to take over an account that also opens another
/// tenant (that person resets by mail).
/// </summary>
public sealed record IssueMemberResetLinkCommand(Guid TenantId, Guid OwnerUserId, IReadOnlyList<ConsoleMembership> OwnerMemberships, Guid UserId)
    : IRequest<string>, ITenantScoped;

public sealed class IssueMemberResetLinkHandler(IConsoleRepository console, TimeProvider clock) : IRequestHandler<IssueMemberResetLinkCommand, string>
{
    public async Task<string> Handle(IssueMemberResetLinkCommand request, CancellationToken cancellationToken)
    {
        var owned = request.OwnerMemberships.Where(m => m.Role == ConsoleRoles.Owner).Select(m => m.TenantId).ToHashSet();
        if (!owned.Contains(request.TenantId))
        {
            throw new ForbiddenException(ErrorCodes.Forbidden, "Only an owner can make a reset link");
        }

        var theirs = await console.MembershipsAsync(request.UserId, cancellationToken);
        if (theirs.All(m => m.TenantId != request.TenantId))
        {
            throw new NotFoundException(ErrorCodes.NotFound, "No such member");
        }

        if (request.UserId == request.OwnerUserId || theirs.Any(m => !owned.Contains(m.TenantId)))
        {
            throw new ForbiddenException(ErrorCodes.Forbidden,
                "This person also belongs to tenants you do not own: they reset their password themselves, from the sign-in page");
        }

        var (token, hash) = PasswordResets.New();
        var now = clock.GetUtcNow();
        await console.CreatePasswordResetAsync(request.UserId, hash, now + PasswordResets.Lifetime, now, cancellationToken);
        return token;
    }
}

/// <summary>Sets a new password with a reset link (once); every other console session of the account is signed out.</summary>
public sealed record ResetPasswordCommand(string? Token, string? Password) : IRequest<Unit>;

public sealed class ResetPasswordValidator : AbstractValidator<ResetPasswordCommand>
{
    public ResetPasswordValidator()
    {
        RuleFor(x => x.Token).NotEmpty().WithMessage("is required");
        RuleFor(x => x.Password).Must(p => p is { Length: >= 10 and <= 200 }).WithMessage("must be 10 to 200 characters");
    }
}

public sealed class ResetPasswordHandler(IConsoleRepository console, IPasswordHasher hasher, TimeProvider clock) : IRequestHandler<ResetPasswordCommand, Unit>
{
    public async Task<Unit> Handle(ResetPasswordCommand request, CancellationToken cancellationToken) =>
        await console.ResetPasswordAsync(InviteTokens.Hash(request.Token!), hasher.Hash(request.Password!), clock.GetUtcNow(), cancellationToken) is null
            ? throw new NotFoundException(ErrorCodes.NotFound, "This reset link is unknown, used or expired")
            : Unit.Value;
}
