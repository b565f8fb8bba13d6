using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Quotas;
using Bloonio.Relay.Core.Security;
using MediatR;

namespace Bloonio.Relay.Core.Console;

/// <summary>
/// Console sign-in: email and password (ASP.NET Core's PasswordHasher), then the tenants this person belongs to.
/// Throttled per account (5 a minute) and per client address (20 a minute; both configurable) through the relay's rate limiter (shared by every node with Redis); an unknown email costs the same hash as a known one.
/// </summary>
public sealed record ConsoleLoginQuery(string? Email, string? Password, string? ClientIp = null) : IRequest<ConsoleSignIn>;

public sealed record ConsoleSignIn(ConsoleUser User, IReadOnlyList<ConsoleMembership> Memberships);

public sealed class ConsoleLoginHandler(
    IConsoleRepository console, IPasswordHasher hasher, IRateLimiter limiter, Microsoft.Extensions.Options.IOptions<RelayCoreOptions> options)
    : IRequestHandler<ConsoleLoginQuery, ConsoleSignIn>
{
    private static string? _decoy;

    public async Task<ConsoleSignIn> Handle(ConsoleLoginQuery request, CancellationToken cancellationToken)
    {
        var email = string.IsNullOrWhiteSpace(request.Email) ? "" : OperatorRules.NormalizeEmail(request.Email);
        await ThrottleAsync($"console-login:ip:{request.ClientIp}", options.Value.ConsoleSignInsPerAddress, cancellationToken);
        await ThrottleAsync($"console-login:account:{email}", options.Value.ConsoleSignInsPerAccount, cancellationToken);

        var user = email.Length == 0 ? null : await console.FindUserAsync(email, cancellationToken);
        // The same work whether the account exists or not (a hash check against a decoy), and one message for every
        // failure: the form must not tell which emails exist.
        var hash = user?.PasswordHash ?? (_decoy ??= hasher.Hash(Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24))));
        var verified = hasher.Verify(hash, request.Password ?? "");
        if (user?.PasswordHash is null || string.IsNullOrEmpty(request.Password) || !verified)
        {
            throw new AuthenticationFailedException(ErrorCodes.InvalidCredentials, "Wrong email or password");
        }

        var memberships = await console.MembershipsAsync(user.UserId, cancellationToken);
        return memberships.Count == 0
            ? throw new ForbiddenException(ErrorCodes.Forbidden, "This account has no tenant")
            : new ConsoleSignIn(user, memberships);
    }

    private async Task ThrottleAsync(string key, int limit, CancellationToken ct)
    {
        var decision = await limiter.AcquireAsync(key, limit, ct);
        if (!decision.Allowed)
        {
            throw new RateLimitedException(decision, $"Too many sign-in attempts; try again in {decision.ResetSeconds} s");
        }
    }
}
