using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Console;

/// <summary>Invites a person by email with a one-time link (7 days); the link's token is returned once, stored hashed.</summary>
public sealed record InviteMemberCommand(Guid TenantId, string? Email, string? Role) : IRequest<string>, ITenantScoped;

public sealed class InviteMemberValidator : AbstractValidator<InviteMemberCommand>
{
    public InviteMemberValidator()
    {
        RuleFor(x => x.Email).MustBeEmail();
        RuleFor(x => x.Role).Must(r => r is not null && ConsoleRoles.All.Contains(r)).WithMessage("must be owner, admin or operator");
    }
}

public sealed class InviteMemberHandler(IConsoleRepository console, ICallerContext caller, TimeProvider clock) : IRequestHandler<InviteMemberCommand, string>
{
    public async Task<string> Handle(InviteMemberCommand request, CancellationToken cancellationToken)
    {
        var token = "bmi_" + SecretGenerator.RandomToken();
        var email = OperatorRules.NormalizeEmail(request.Email!);
        var audit = AuditEntry.For(caller, clock, request.TenantId, "member.invited", email, new Dictionary<string, object?> { ["role"] = request.Role });
        await console.CreateInviteAsync(request.TenantId, email, request.Role!, InviteTokens.Hash(token), clock.GetUtcNow().AddDays(7), audit, cancellationToken);
        return token;
    }
}

/// <summary>
/// The invited person joins the tenant; the link works once, for the tenant and role it was made for. For a new account,
/// the link's holder sets its password. For an email that already has an account, the holder must prove it is theirs
/// (signed in as that account, or its current password): an invite never attaches a tenant to an account someone else
/// set the password of, and a password is never kept for someone who typed another.
/// </summary>
/// <param name="SignedInUserId">The console account signed in in this browser, if any.</param>
public sealed record AcceptInviteCommand(string? Token, string? DisplayName, string? Password, Guid? SignedInUserId = null) : IRequest<Guid>;

public sealed class AcceptInviteValidator : AbstractValidator<AcceptInviteCommand>
{
    public AcceptInviteValidator()
    {
        RuleFor(x => x.Token).NotEmpty().WithMessage("is required");
        RuleFor(x => x.Password).Must(p => p is { Length: >= 10 and <= 200 }).When(x => x.SignedInUserId is null)
            .WithMessage("must be 10 to 200 characters");
        RuleFor(x => x.DisplayName).Must(n => n is null || n.Length <= 120).WithMessage("must be at most 120 characters");
    }
}

public sealed class AcceptInviteHandler(IConsoleRepository console, IPasswordHasher hasher, TimeProvider clock) : IRequestHandler<AcceptInviteCommand, Guid>
{
    public async Task<Guid> Handle(AcceptInviteCommand request, CancellationToken cancellationToken)
    {
        var token = InviteTokens.Hash(request.Token!);
        var now = clock.GetUtcNow();
        var invite = await console.FindInviteAsync(token, now, cancellationToken) ?? throw NotFound();
        var account = await console.FindUserAsync(invite.Email, cancellationToken);
        string? newPassword = null;
        if (account?.PasswordHash is { } existing)
        {
            var proven = account.UserId == request.SignedInUserId
                         || (!string.IsNullOrEmpty(request.Password) && hasher.Verify(existing, request.Password));
            if (!proven)
            {
                throw new AuthenticationFailedException(ErrorCodes.InvalidCredentials,
                    $"{invite.Email} already has a Bloonio account: enter its password to join, or reset it from the sign-in page first");
            }
        }
        else
        {
            newPassword = hasher.Hash(request.Password!);
        }

        return (await console.AcceptInviteAsync(token, request.DisplayName?.Trim(), newPassword, now, cancellationToken))?.TenantId ?? throw NotFound();
    }

    private static NotFoundException NotFound() => new(ErrorCodes.InviteNotFound, "This invitation is unknown, used or expired");
}

/// <summary>Changes a member's role, or removes the member (role null). The last owner can be neither demoted nor removed.</summary>
public sealed record SetMemberRoleCommand(Guid TenantId, Guid UserId, string? Role) : IRequest<Unit>, ITenantScoped;

public sealed class SetMemberRoleValidator : AbstractValidator<SetMemberRoleCommand>
{
    public SetMemberRoleValidator() =>
        RuleFor(x => x.Role).Must(r => r is null || ConsoleRoles.All.Contains(r)).WithMessage("must be owner, admin or operator");
}

public sealed class SetMemberRoleHandler(IConsoleRepository console, ICallerContext caller, TimeProvider clock) : IRequestHandler<SetMemberRoleCommand, Unit>
{
    public async Task<Unit> Handle(SetMemberRoleCommand request, CancellationToken cancellationToken)
    {
        var audit = AuditEntry.For(caller, clock, request.TenantId, request.Role is null ? "member.removed" : "member.role_changed",
            request.UserId.ToString(), new Dictionary<string, object?> { ["role"] = request.Role });
        return await console.SetRoleAsync(request.TenantId, request.UserId, request.Role, audit, cancellationToken)
            ? Unit.Value
            : throw new ConflictException(ErrorCodes.LastOwner, "The last owner cannot leave or be demoted; make someone else owner first");
    }
}

public static class InviteTokens
{
    public static byte[] Hash(string token) => System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));
}
