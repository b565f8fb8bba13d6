using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Caching;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Operators;

/// <summary>
/// Operators and their memberships. A membership is read on every operator hub call and token mint: it comes from
/// <see cref="RelayCaches"/>, and every write of a membership notifies the other nodes and drops this node's entries.
/// </summary>
public sealed class OperatorRepository(NpgsqlDataSource dataSource, RelayCaches caches, EventCommits commits) : IOperatorRepository
{
    private const string SelectMembership = """
        SELECT m.operator_id, m.tenant_id, o.email, m.display_name, m.avatar_url, m.routing_keys, m.role, m.active,
               o.active AS operator_active, m.token_version, m.availability, m.created_at, m.updated_at, m.last_connected_at, m.max_concurrent
        FROM operator_memberships m
        JOIN operators o ON o.operator_id = m.operator_id
        """;

    public async Task<bool> ExistsAsync(string email, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM operators WHERE email = @email)", new { email }, cancellationToken: ct));
    }

    public async Task<ProvisionOutcome> ProvisionAsync(OperatorProvision p, string passwordHash, int maxActiveOperators, AuditEntry audit,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);

        // Concurrent first provisions of one email: ON CONFLICT waits for the winner to commit, then every caller
        // reads the winner's row (READ COMMITTED takes a fresh snapshot per statement).
        if (passwordHash.Length > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                INSERT INTO operators (operator_id, email, password_hash, created_at) VALUES (@NewOperatorId, @Email, @passwordHash, @Now)
                ON CONFLICT (email) DO NOTHING
                """, new { p.NewOperatorId, p.Email, passwordHash, p.Now }, tx, cancellationToken: ct));
        }

        var operatorId = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "SELECT operator_id FROM operators WHERE email = @Email", new { p.Email }, tx, cancellationToken: ct))
            ?? throw new InvalidOperationException("The operator row vanished during provisioning.");

        // The operators quota: counted under a per-tenant transaction lock, so concurrent provisions cannot overshoot it.
        await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(hashtextextended(@key, 0))",
            new { key = $"operators:{p.TenantId}" }, tx, cancellationToken: ct));
        var (active, already) = await connection.QuerySingleAsync<(int, bool)>(new CommandDefinition("""
            SELECT (count(*) FILTER (WHERE active))::int, COALESCE(bool_or(operator_id = @operatorId AND active), false)
            FROM operator_memberships WHERE tenant_id = @TenantId
            """, new { p.TenantId, operatorId }, tx, cancellationToken: ct));
        if (!already && active >= maxActiveOperators)
        {
            return new ProvisionOutcome(operatorId, Created: false, QuotaExceeded: true);
        }

        // xmax = 0 only on a freshly inserted row: the membership was created, not refreshed.
        var created = await connection.ExecuteScalarAsync<bool>(new CommandDefinition("""
            INSERT INTO operator_memberships (tenant_id, operator_id, display_name, avatar_url, routing_keys, max_concurrent, created_at, updated_at)
            VALUES (@TenantId, @operatorId, @DisplayName, @AvatarUrl, @RoutingKeys, @MaxConcurrent, @Now, @Now)
            ON CONFLICT (tenant_id, operator_id) DO UPDATE SET
                display_name = EXCLUDED.display_name, avatar_url = EXCLUDED.avatar_url, routing_keys = EXCLUDED.routing_keys,
                max_concurrent = EXCLUDED.max_concurrent, active = true, deactivated_at = NULL, updated_at = EXCLUDED.updated_at
            RETURNING (xmax = 0)
            """,
            new { p.TenantId, operatorId, p.DisplayName, p.AvatarUrl, RoutingKeys = p.RoutingKeys?.ToArray(), p.MaxConcurrent, p.Now },
            tx, cancellationToken: ct));

        await AuditWriter.InsertAsync(connection, tx, audit with { Details = new Dictionary<string, object?>(audit.Details) { ["created"] = created } }, ct);
        await EventWriter.AppendAsync(connection, tx, p.TenantId, new RelayEvent(Guid.CreateVersion7(p.Now), EventTypes.OperatorProvisioned,
            new { operator_id = operatorId, email = p.Email, display_name = p.DisplayName, routing_keys = p.RoutingKeys, created }, p.Now), ct);
        await RelayCaches.NotifyOperatorsAsync(connection, tx, p.TenantId, ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        caches.InvalidateOperators(p.TenantId);
        return new ProvisionOutcome(operatorId, created);
    }

    public Task<OperatorMembership?> FindMembershipAsync(Guid tenantId, string email, CancellationToken ct) =>
        caches.MembershipsByEmail.GetAsync((tenantId, email),
            () => QuerySingleAsync(SelectMembership + " WHERE m.tenant_id = @tenantId AND o.email = @email", new { tenantId, email }, ct));

    public Task<OperatorMembership?> FindMembershipAsync(Guid tenantId, Guid operatorId, CancellationToken ct) =>
        caches.MembershipsById.GetAsync((tenantId, operatorId),
            () => QuerySingleAsync(SelectMembership + " WHERE m.tenant_id = @tenantId AND m.operator_id = @operatorId", new { tenantId, operatorId }, ct));

    public async Task<OperatorMembership?> DeactivateAsync(Guid tenantId, string email, AuditEntry audit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<MembershipRow>(new CommandDefinition("""
            WITH target AS (
                SELECT m.tenant_id, m.operator_id FROM operator_memberships m JOIN operators o ON o.operator_id = m.operator_id
                WHERE m.tenant_id = @tenantId AND o.email = @email
                FOR UPDATE OF m)
            UPDATE operator_memberships m SET
                active = false,
                deactivated_at = COALESCE(m.deactivated_at, @Now),
                token_version = CASE WHEN m.active THEN m.token_version + 1 ELSE m.token_version END,
                updated_at = @Now
            FROM target, operators o
            WHERE m.tenant_id = target.tenant_id AND m.operator_id = target.operator_id AND o.operator_id = m.operator_id
            RETURNING m.operator_id, m.tenant_id, o.email, m.display_name, m.avatar_url, m.routing_keys, m.role, m.active,
                      o.active AS operator_active, m.token_version, m.availability, m.created_at, m.updated_at
            """, new { tenantId, email, Now = audit.CreatedAt }, tx, cancellationToken: ct));
        if (row is null)
        {
            return null;
        }

        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(audit.CreatedAt), EventTypes.OperatorDeprovisioned,
            new { operator_id = row.OperatorId, email }, audit.CreatedAt), ct);
        await RelayCaches.NotifyOperatorsAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        caches.InvalidateOperators(tenantId);
        return row.ToMembership();
    }

    public async Task<bool> SetAvailabilityAsync(Guid tenantId, Guid operatorId, string availability, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition("""
            UPDATE operator_memberships SET availability = @availability
            WHERE tenant_id = @tenantId AND operator_id = @operatorId AND active
            """, new { tenantId, operatorId, availability }, cancellationToken: ct)) == 1;
        if (changed)
        {
            await RelayCaches.NotifyOperatorsAsync(connection, null, tenantId, ct);
            caches.InvalidateOperators(tenantId);
        }

        return changed;
    }

    public async Task TouchConnectedAsync(Guid tenantId, IReadOnlyCollection<Guid> operatorIds, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE operator_memberships SET last_connected_at = @now WHERE tenant_id = @tenantId AND operator_id = ANY(@ids)",
            new { tenantId, ids = operatorIds.ToArray(), now }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<OperatorMembership>> ListAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<MembershipRow>(new CommandDefinition(
            SelectMembership + " WHERE m.tenant_id = @tenantId ORDER BY m.created_at, m.operator_id", new { tenantId }, cancellationToken: ct));
        return rows.Select(r => r.ToMembership()).ToList();
    }

    private async Task<OperatorMembership?> QuerySingleAsync(string sql, object args, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<MembershipRow>(new CommandDefinition(sql, args, cancellationToken: ct));
        return row?.ToMembership();
    }

    private sealed class MembershipRow
    {
        public Guid OperatorId { get; init; }
        public Guid TenantId { get; init; }
        public string Email { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string? AvatarUrl { get; init; }
        public string[]? RoutingKeys { get; init; }
        public string Role { get; init; } = "";
        public bool Active { get; init; }
        public bool OperatorActive { get; init; }
        public int TokenVersion { get; init; }
        public string Availability { get; init; } = "";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public DateTime? LastConnectedAt { get; init; }
        public int? MaxConcurrent { get; init; }

        public OperatorMembership ToMembership() => new(
            OperatorId, TenantId, Email, DisplayName, AvatarUrl, RoutingKeys, Role, Active, OperatorActive, TokenVersion,
            Availability, DbJson.Utc(CreatedAt), DbJson.Utc(UpdatedAt), LastConnectedAt is { } seen ? DbJson.Utc(seen) : null, MaxConcurrent);
    }
}
