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

public sealed record ConsoleUser(Guid UserId, string Email, string? DisplayName, string? PasswordHash);

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

    /// <summary>Accepts a valid, unused invite once: sets the user's password (new user) and adds the membership.</summary>
    Task<(Guid TenantId, string Email)?> AcceptInviteAsync(byte[] tokenHash, string? displayName, string passwordHash, DateTimeOffset now, CancellationToken ct);

    /// <summary>Changes a role or removes a member (role null); false when it would leave the tenant without an owner.</summary>
    Task<bool> SetRoleAsync(Guid tenantId, Guid userId, string? role, Common.AuditEntry audit, CancellationToken ct);

    Task<IReadOnlyList<AuditRow>> AuditAsync(Guid tenantId, int limit, CancellationToken ct);
}

public sealed record AuditRow(DateTimeOffset CreatedAt, string Actor, string Action, string? Target, string? IpAddress, string Details);
