using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using MediatR;

namespace Bloonio.Relay.Core.Console;

/// <summary>Console sign-in: email and password (ASP.NET Core's PasswordHasher), then the tenants this person belongs to.</summary>
public sealed record ConsoleLoginQuery(string? Email, string? Password) : IRequest<ConsoleSignIn>;

public sealed record ConsoleSignIn(ConsoleUser User, IReadOnlyList<ConsoleMembership> Memberships);

public sealed class ConsoleLoginHandler(IConsoleRepository console, IPasswordHasher hasher) : IRequestHandler<ConsoleLoginQuery, ConsoleSignIn>
{
    public async Task<ConsoleSignIn> Handle(ConsoleLoginQuery request, CancellationToken cancellationToken)
    {
        var user = string.IsNullOrWhiteSpace(request.Email) ? null : await console.FindUserAsync(OperatorRules.NormalizeEmail(request.Email), cancellationToken);
        // One message for every failure: a login form must not tell which emails exist.
        if (user?.PasswordHash is null || string.IsNullOrEmpty(request.Password) || !hasher.Verify(user.PasswordHash, request.Password))
        {
            throw new AuthenticationFailedException(ErrorCodes.InvalidCredentials, "Wrong email or password");
        }

        var memberships = await console.MembershipsAsync(user.UserId, cancellationToken);
        return memberships.Count == 0
            ? throw new ForbiddenException(ErrorCodes.Forbidden, "This account has no tenant")
            : new ConsoleSignIn(user, memberships);
    }
}
