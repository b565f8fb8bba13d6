namespace Bloonio.Relay.Core.Console;

public static class ConsoleRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Operator = "operator";

    public static readonly IReadOnlyList<string> All = [Owner, Admin, Operator];

    /// <summary>Owners and admins manage the tenant; operators only see the inbox.</summary>
    public static bool CanManage(string role) => role is Owner or Admin;
}

/// <param name="CredentialVersion">Bumped by every password change; console cookies carry it, so a change signs other sessions out.</param>
public sealed record ConsoleUser(Guid UserId, string Email, string? DisplayName, string? PasswordHash, int CredentialVersion = 0);

/// <summary>A valid, unused invite: the tenant and role it grants, and the email it was sent to.</summary>
public sealed record PendingInvite(Guid TenantId, string Email, string Role);

public sealed record ConsoleMembership(Guid TenantId, string TenantName, string Role);

public sealed record MemberView(Guid UserId, string Email, string? DisplayName, string Role, DateTimeOffset CreatedAt);

public sealed record InviteView(Guid InviteId, string Email, string Role, DateTimeOffset ExpiresAt, DateTimeOffset CreatedAt);

public interface IConsoleRepository
{
    Task<ConsoleUser?> FindUserAsync(string email, CancellationToken ct);

    Task<IReadOnlyList<ConsoleMembership>> MembershipsAsync(Guid userId, CancellationToken ct);

    Task<IReadOnlyList<MemberView>> MembersAsync(Guid tenantId, CancellationToken ct);

    Task<IReadOnlyList<InviteView>> PendingInvitesAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct);

    /// <summary>Creates the user if new (with the password hash) and its membership; an existing membership keeps its role.</summary>
    Task<Guid> EnsureMemberAsync(Guid tenantId, string email, string? displayName, string? passwordHash, string role, DateTimeOffset now, CancellationToken ct);

    Task CreateInviteAsync(Guid tenantId, string email, string role, byte[] tokenHash, DateTimeOffset expiresAt, Common.AuditEntry audit, CancellationToken ct);

    Task<PendingInvite?> FindInviteAsync(byte[] tokenHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Accepts a valid, unused invite once and adds the membership. <paramref name="passwordHash"/> is the password of a new
    /// account (or of one that never had a password); null for an existing account whose holder proved it. Never replaces
    /// a password.
    /// </summary>
    Task<(Guid TenantId, string Email)?> AcceptInviteAsync(byte[] tokenHash, string? displayName, string? passwordHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>The account's credential version, or null when it is gone.</summary>
    Task<int?> CredentialVersionAsync(Guid userId, CancellationToken ct);

    Task CreatePasswordResetAsync(Guid userId, byte[] tokenHash, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken ct);

    /// <summary>Uses a valid reset link once: sets the password, bumps the credential version, voids the account's other links.</summary>
    Task<string?> ResetPasswordAsync(byte[] tokenHash, string passwordHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Changes a role or removes a member (role null); false when it would leave the tenant without an owner.</summary>
    Task<bool> SetRoleAsync(Guid tenantId, Guid userId, string? role, Common.AuditEntry audit, CancellationToken ct);

    Task<IReadOnlyList<AuditRow>> AuditAsync(Guid tenantId, int limit, CancellationToken ct);
}

public sealed record AuditRow(DateTimeOffset CreatedAt, string Actor, string Action, string? Target, string? IpAddress, string Details);
