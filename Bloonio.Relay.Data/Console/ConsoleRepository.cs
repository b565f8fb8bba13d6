using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Data.Common;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Console;

public sealed class ConsoleRepository(NpgsqlDataSource dataSource) : IConsoleRepository
{
    public async Task<ConsoleUser?> FindUserAsync(string email, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<UserRow>(new CommandDefinition(
            "SELECT user_id, email, display_name, password_hash, credential_version FROM console_users WHERE email = @email", new { email }, cancellationToken: ct));
        return row is null ? null : new ConsoleUser(row.UserId, row.Email, row.DisplayName, row.PasswordHash, row.CredentialVersion);
    }

    public async Task<IReadOnlyList<ConsoleMembership>> MembershipsAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid TenantId, string Name, string Role)>(new CommandDefinition("""
            SELECT m.tenant_id, t.name, m.role FROM tenant_members m JOIN tenants t ON t.tenant_id = m.tenant_id
            WHERE m.user_id = @userId ORDER BY t.name
            """, new { userId }, cancellationToken: ct));
        return rows.Select(r => new ConsoleMembership(r.TenantId, r.Name, r.Role)).ToList();
    }

    public async Task<IReadOnlyList<MemberView>> MembersAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid UserId, string Email, string? DisplayName, string Role, DateTime CreatedAt)>(new CommandDefinition("""
            SELECT u.user_id, u.email, u.display_name, m.role, m.created_at FROM tenant_members m JOIN console_users u ON u.user_id = m.user_id
            WHERE m.tenant_id = @tenantId ORDER BY m.created_at
            """, new { tenantId }, cancellationToken: ct));
        return rows.Select(r => new MemberView(r.UserId, r.Email, r.DisplayName, r.Role, DbJson.Utc(r.CreatedAt))).ToList();
    }

    public async Task<IReadOnlyList<InviteView>> PendingInvitesAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid InviteId, string Email, string Role, DateTime ExpiresAt, DateTime CreatedAt)>(new CommandDefinition("""
            SELECT invite_id, email, role, expires_at, created_at FROM member_invites
            WHERE tenant_id = @tenantId AND accepted_at IS NULL AND expires_at > @now ORDER BY created_at DESC
            """, new { tenantId, now }, cancellationToken: ct));
        return rows.Select(r => new InviteView(r.InviteId, r.Email, r.Role, DbJson.Utc(r.ExpiresAt), DbJson.Utc(r.CreatedAt))).ToList();
    }

    public async Task<Guid> EnsureMemberAsync(Guid tenantId, string email, string? displayName, string? passwordHash, string role, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var userId = await UpsertUserAsync(connection, tx, email, displayName, passwordHash, now, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tenant_members (tenant_id, user_id, role, created_at) VALUES (@tenantId, @userId, @role, @now) ON CONFLICT DO NOTHING
            """, new { tenantId, userId, role, now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return userId;
    }

    public async Task CreateInviteAsync(Guid tenantId, string email, string role, byte[] tokenHash, DateTimeOffset expiresAt, AuditEntry audit,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO member_invites (invite_id, tenant_id, email, role, token_hash, expires_at, created_at)
            VALUES (@inviteId, @tenantId, @email, @role, @tokenHash, @expiresAt, @now)
            """, new { inviteId = Guid.CreateVersion7(audit.CreatedAt), tenantId, email, role, tokenHash, expiresAt, now = audit.CreatedAt }, tx,
            cancellationToken: ct));
        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await tx.CommitAsync(ct);
    }

    public async Task<PendingInvite?> FindInviteAsync(byte[] tokenHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition("""
            SELECT tenant_id, email, role FROM member_invites WHERE token_hash = @tokenHash AND accepted_at IS NULL AND expires_at > @now
            """, new { tokenHash, now }, cancellationToken: ct));
        return row is null ? null : new PendingInvite(row.TenantId, row.Email, row.Role);
    }

    public async Task<int?> CredentialVersionAsync(Guid userId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.QuerySingleOrDefaultAsync<int?>(new CommandDefinition(
            "SELECT credential_version FROM console_users WHERE user_id = @userId", new { userId }, cancellationToken: ct));
    }

    public async Task CreatePasswordResetAsync(Guid userId, byte[] tokenHash, DateTimeOffset expiresAt, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM console_password_resets WHERE expires_at < @now;
            INSERT INTO console_password_resets (token_hash, user_id, expires_at, created_at) VALUES (@tokenHash, @userId, @expiresAt, @now)
            """, new { userId, tokenHash, expiresAt, now }, cancellationToken: ct));
    }

    public async Task<string?> ResetPasswordAsync(byte[] tokenHash, string passwordHash, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var userId = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition("""
            UPDATE console_password_resets SET used_at = @now
            WHERE token_hash = @tokenHash AND used_at IS NULL AND expires_at > @now
            RETURNING user_id
            """, new { tokenHash, now }, tx, cancellationToken: ct));
        if (userId is null)
        {
            return null;
        }

        var email = await connection.QuerySingleAsync<string>(new CommandDefinition("""
            DELETE FROM console_password_resets WHERE user_id = @userId AND used_at IS NULL;
            UPDATE console_users SET password_hash = @passwordHash, credential_version = credential_version + 1
            WHERE user_id = @userId RETURNING email
            """, new { userId, passwordHash }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return email;
    }

    public async Task<(Guid TenantId, string Email)?> AcceptInviteAsync(byte[] tokenHash, string? displayName, string? passwordHash, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var invite = await connection.QuerySingleOrDefaultAsync<InviteRow>(new CommandDefinition("""
            UPDATE member_invites SET accepted_at = @now
            WHERE token_hash = @tokenHash AND accepted_at IS NULL AND expires_at > @now
            RETURNING tenant_id, email, role
            """, new { tokenHash, now }, tx, cancellationToken: ct));
        if (invite is null)
        {
            return null;
        }

        var i = invite;
        var userId = await UpsertUserAsync(connection, tx, i.Email, displayName, passwordHash, now, ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tenant_members (tenant_id, user_id, role, created_at) VALUES (@TenantId, @userId, @Role, @now)
            ON CONFLICT (tenant_id, user_id) DO UPDATE SET role = EXCLUDED.role
            """, new { i.TenantId, userId, i.Role, now }, tx, cancellationToken: ct));
        await tx.CommitAsync(ct);
        return (i.TenantId, i.Email);
    }

    public async Task<bool> SetRoleAsync(Guid tenantId, Guid userId, string? role, AuditEntry audit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Lock the tenant's owners so two concurrent demotions cannot both pass the "another owner remains" check.
        var owners = (await connection.QueryAsync<Guid>(new CommandDefinition(
            "SELECT user_id FROM tenant_members WHERE tenant_id = @tenantId AND role = 'owner' FOR UPDATE", new { tenantId }, tx, cancellationToken: ct))).ToList();
        if (owners.Count == 1 && owners[0] == userId && role != ConsoleRoles.Owner)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition(role is null
            ? "DELETE FROM tenant_members WHERE tenant_id = @tenantId AND user_id = @userId"
            : "UPDATE tenant_members SET role = @role WHERE tenant_id = @tenantId AND user_id = @userId",
            new { tenantId, userId, role }, tx, cancellationToken: ct));
        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await tx.CommitAsync(ct);
        return true;
    }

    public async Task<IReadOnlyList<AuditRow>> AuditAsync(Guid tenantId, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(DateTime CreatedAt, string Actor, string Action, string? Target, string? IpAddress, string Details)>(
            new CommandDefinition("""
            SELECT created_at, actor, action, target, ip_address, details::text FROM audit_log
            WHERE tenant_id = @tenantId ORDER BY created_at DESC LIMIT @limit
            """, new { tenantId, limit }, cancellationToken: ct));
        return rows.Select(r => new AuditRow(DbJson.Utc(r.CreatedAt), r.Actor, r.Action, r.Target, r.IpAddress, r.Details)).ToList();
    }

    private static async Task<Guid> UpsertUserAsync(System.Data.IDbConnection connection, System.Data.IDbTransaction tx, string email,
        string? displayName, string? passwordHash, DateTimeOffset now, CancellationToken ct) =>
        await connection.ExecuteScalarAsync<Guid>(new CommandDefinition("""
            INSERT INTO console_users (user_id, email, display_name, password_hash, created_at) VALUES (@id, @email, @displayName, @passwordHash, @now)
            ON CONFLICT (email) DO UPDATE SET
                password_hash = COALESCE(console_users.password_hash, EXCLUDED.password_hash),
                display_name = COALESCE(console_users.display_name, EXCLUDED.display_name)
            RETURNING user_id
            """, new { id = Guid.CreateVersion7(now), email, displayName, passwordHash, now }, tx, cancellationToken: ct));

    private sealed class InviteRow
    {
        public Guid TenantId { get; init; }
        public string Email { get; init; } = "";
        public string Role { get; init; } = "";
    }

    private sealed class UserRow
    {
        public Guid UserId { get; init; }
        public string Email { get; init; } = "";
        public string? DisplayName { get; init; }
        public string? PasswordHash { get; init; }
        public int CredentialVersion { get; init; }
    }
}
