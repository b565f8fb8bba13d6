using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Caching;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Tenants;

/// <summary>
/// Tenants, their secrets and widget keys. Reads on the hot paths (a tenant by id, a widget key, the HMAC#1
/// credentials) come from <see cref="RelayCaches"/>; every write notifies the other nodes in its transaction and drops
/// this node's entries after its commit.
/// </summary>
public sealed class TenantRepository(NpgsqlDataSource dataSource, RelayCaches caches, EventCommits commits) : ITenantRepository, ITenantCredentialStore
{
    private const string SelectTenant = """
        SELECT t.tenant_id, t.name, t.status, t.owner_email, t.configuration::text AS configuration_json,
               t.quotas::text AS quotas_json, t.created_at, t.updated_at, t.version,
               (SELECT w.widget_key FROM widget_keys w WHERE w.tenant_id = t.tenant_id AND w.expires_at IS NULL) AS widget_key
        FROM tenants t
        """;

    private const string SelectTenantWithFaq = """
        SELECT t.tenant_id, t.name, t.status, t.owner_email, t.configuration::text AS configuration_json,
               t.quotas::text AS quotas_json, t.created_at, t.updated_at, t.version, t.faq::text AS faq_json,
               (SELECT w.widget_key FROM widget_keys w WHERE w.tenant_id = t.tenant_id AND w.expires_at IS NULL) AS widget_key
        FROM tenants t
        """;

    public async Task CreateAsync(NewTenant created, AuditEntry audit, CancellationToken ct)
    {
        var t = created.Tenant;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO tenants (tenant_id, name, status, owner_email, configuration, faq, quotas, created_at, updated_at)
            VALUES (@TenantId, @Name, @Status, @OwnerEmail, @Configuration::jsonb, @Faq::jsonb, @Quotas::jsonb, @CreatedAt, @CreatedAt);
            INSERT INTO tenant_secrets (secret_id, tenant_id, ciphertext, created_at) VALUES (@SecretId, @TenantId, @Ciphertext, @CreatedAt);
            INSERT INTO widget_keys (widget_key, tenant_id, created_at) VALUES (@WidgetKey, @TenantId, @CreatedAt);
            """,
            new
            {
                t.TenantId, t.Name, t.Status, t.OwnerEmail, Configuration = DbJson.Serialize(t.Configuration with { Faq = [] }),
                Faq = DbJson.Serialize(t.Configuration.Faq),
                Quotas = DbJson.Serialize(t.Quotas), t.CreatedAt, SecretId = Guid.CreateVersion7(t.CreatedAt),
                Ciphertext = created.ProtectedSecret, WidgetKey = t.WidgetPublicKey,
            },
            tx, cancellationToken: ct));
        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await RelayCaches.NotifyTenantAsync(connection, tx, t.TenantId, ct); // "unknown tenant" may be cached
        await tx.CommitAsync(ct);
        caches.InvalidateTenant(t.TenantId);
    }

    public Task<Tenant?> GetAsync(Guid tenantId, CancellationToken ct) => caches.Tenants.GetAsync(tenantId, async () =>
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<TenantRow>(
            new CommandDefinition(SelectTenant + " WHERE t.tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        return row?.ToTenant();
    });

    public async Task<Tenant?> GetWithFaqAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<TenantRow>(
            new CommandDefinition(SelectTenantWithFaq + " WHERE t.tenant_id = @tenantId", new { tenantId }, cancellationToken: ct));
        return row?.ToTenant();
    }

    public async Task<Tenant?> FindByWidgetKeyAsync(string widgetKey, DateTimeOffset now, CancellationToken ct)
    {
        var key = await caches.WidgetKeys.GetAsync(widgetKey, async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var row = await connection.QuerySingleOrDefaultAsync<(Guid TenantId, DateTime? ExpiresAt)?>(new CommandDefinition(
                "SELECT tenant_id, expires_at FROM widget_keys WHERE widget_key = @widgetKey", new { widgetKey }, cancellationToken: ct));
            return row is { } r ? (r.TenantId, r.ExpiresAt is { } e ? DbJson.Utc(e) : (DateTimeOffset?)null) : null;
        }, k => k?.ExpiresAt);
        return key is { } k && (k.ExpiresAt is null || k.ExpiresAt > now) ? await GetAsync(k.TenantId, ct) : null;
    }

    public async Task<bool> IsOriginAllowedByAnyActiveTenantAsync(string origin, CancellationToken ct)
    {
        // Candidates by the origin's registrable suffix first would scale better; tenants are few per relay today.
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var lists = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT configuration->>'allowed_origins' FROM tenants WHERE status = 'active' AND configuration ? 'allowed_origins'",
            cancellationToken: ct));
        return lists.Any(json => OriginPattern.IsAllowed(DbJson.Deserialize<List<string>>(json ?? "[]"), origin));
    }

    public async Task<IReadOnlyList<Tenant>> ListAsync(Guid? after, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<TenantRow>(new CommandDefinition(
            SelectTenantWithFaq + " WHERE (@after::uuid IS NULL OR t.tenant_id > @after) ORDER BY t.tenant_id LIMIT @limit",
            new { after, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToTenant()).ToList();
    }

    public async Task<long?> UpdateAsync(Guid tenantId, long expectedVersion, string name, TenantConfiguration configuration, TenantQuotas quotas,
        AuditEntry audit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var version = await connection.ExecuteScalarAsync<long?>(new CommandDefinition("""
            UPDATE tenants SET name = @name, configuration = @Configuration::jsonb, faq = @Faq::jsonb, quotas = @Quotas::jsonb, updated_at = @Now,
                version = version + 1
            WHERE tenant_id = @tenantId AND version = @expectedVersion
            RETURNING version
            """,
            new
            {
                tenantId, expectedVersion, name, Configuration = DbJson.Serialize(configuration with { Faq = [] }),
                Faq = DbJson.Serialize(configuration.Faq), Quotas = DbJson.Serialize(quotas),
                Now = audit.CreatedAt,
            },
            tx, cancellationToken: ct));
        if (version is null)
        {
            return null;
        }

        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await RelayCaches.NotifyTenantAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        caches.InvalidateTenant(tenantId);
        return version;
    }

    public Task<bool> RotateSecretAsync(Guid tenantId, byte[] protectedSecret, DateTimeOffset previousExpiresAt, AuditEntry audit,
        RelayEvent rotated, CancellationToken ct) =>
        RotateAsync(tenantId, "tenant_secrets", """
            INSERT INTO tenant_secrets (secret_id, tenant_id, ciphertext, created_at) VALUES (@id, @tenantId, @value, @now)
            """, protectedSecret, previousExpiresAt, audit, rotated, ct);

    public Task<bool> RotateWidgetKeyAsync(Guid tenantId, string widgetKey, DateTimeOffset previousExpiresAt, AuditEntry audit,
        RelayEvent rotated, CancellationToken ct) =>
        RotateAsync(tenantId, "widget_keys", """
            INSERT INTO widget_keys (widget_key, tenant_id, created_at) VALUES (@value, @tenantId, @now)
            """, widgetKey, previousExpiresAt, audit, rotated, ct);

    private async Task<bool> RotateAsync(Guid tenantId, string table, string insert, object value, DateTimeOffset previousExpiresAt,
        AuditEntry audit, RelayEvent rotated, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var exists = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "SELECT EXISTS (SELECT 1 FROM tenants WHERE tenant_id = @tenantId FOR UPDATE)", new { tenantId }, tx, cancellationToken: ct));
        if (!exists)
        {
            return false;
        }

        var now = audit.CreatedAt;
        // The table name is one of two constants of this class, never input.
        await connection.ExecuteAsync(new CommandDefinition($"""
            UPDATE {table} SET expires_at = @now WHERE tenant_id = @tenantId AND expires_at IS NOT NULL AND expires_at > @now;
            UPDATE {table} SET expires_at = @previousExpiresAt WHERE tenant_id = @tenantId AND expires_at IS NULL;
            {insert};
            """, new { tenantId, now, previousExpiresAt, id = Guid.CreateVersion7(now), value }, tx, cancellationToken: ct));
        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, rotated, ct);
        await RelayCaches.NotifyTenantAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        caches.InvalidateTenant(tenantId);
        return true;
    }

    public async Task<bool> SetStatusAsync(Guid tenantId, string status, AuditEntry audit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var updated = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE tenants SET status = @status, updated_at = @Now, version = version + 1 WHERE tenant_id = @tenantId",
            new { tenantId, status, Now = audit.CreatedAt }, tx, cancellationToken: ct));
        if (updated == 0)
        {
            return false;
        }

        await AuditWriter.InsertAsync(connection, tx, audit, ct);
        await RelayCaches.NotifyTenantAsync(connection, tx, tenantId, ct);
        await tx.CommitAsync(ct);
        caches.InvalidateTenant(tenantId);
        return true;
    }

    public async Task<TenantCredentials?> FindAsync(Guid tenantId, DateTimeOffset now, CancellationToken ct)
    {
        // Cached until the first in-grace secret expires (or the usual maximum): the answer is right until then.
        var cached = await caches.Credentials.GetAsync(tenantId, async () =>
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            var rows = (await connection.QueryAsync<CredentialRow>(new CommandDefinition("""
                SELECT t.status, s.ciphertext, s.expires_at, t.quotas::text AS quotas_json
                FROM tenants t
                LEFT JOIN tenant_secrets s ON s.tenant_id = t.tenant_id AND (s.expires_at IS NULL OR s.expires_at > @now)
                WHERE t.tenant_id = @tenantId
                ORDER BY s.created_at DESC
                """, new { tenantId, now }, cancellationToken: ct))).ToList();
            return rows.Count == 0
                ? null
                : new TenantCredentials(tenantId, rows[0].Status, rows.Where(r => r.Ciphertext is not null).Select(r => r.Ciphertext!).ToList(),
                    DbJson.Deserialize<TenantQuotas>(rows[0].QuotasJson),
                    rows.Where(r => r.ExpiresAt is not null).Select(r => (DateTimeOffset?)DbJson.Utc(r.ExpiresAt!.Value)).Min());
        }, c => c?.ValidUntil);
        return cached is { ValidUntil: { } until } && until <= now ? await ReloadAsync() : cached;

        Task<TenantCredentials?> ReloadAsync()
        {
            caches.Credentials.Remove(tenantId);
            return FindAsync(tenantId, now, ct);
        }
    }

    private sealed class CredentialRow
    {
        public string Status { get; init; } = "";
        public byte[]? Ciphertext { get; init; }
        public DateTime? ExpiresAt { get; init; }
        public string QuotasJson { get; init; } = "{}";
    }

    private sealed class TenantRow
    {
        public Guid TenantId { get; init; }
        public string Name { get; init; } = "";
        public string Status { get; init; } = "";
        public string? OwnerEmail { get; init; }
        public string ConfigurationJson { get; init; } = "{}";
        public string QuotasJson { get; init; } = "{}";
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public string? WidgetKey { get; init; }
        public long Version { get; init; }

        /// <summary>Null when the query left the FAQ out (the hot paths' reads).</summary>
        public string? FaqJson { get; init; }

        public Tenant ToTenant() => new(
            TenantId, Name, Status, OwnerEmail, DbJson.Deserialize<TenantConfiguration>(ConfigurationJson) with
            {
                Faq = FaqJson is null ? [] : DbJson.Deserialize<List<FaqEntry>>(FaqJson),
            },
            DbJson.Deserialize<TenantQuotas>(QuotasJson), WidgetKey ?? "", DbJson.Utc(CreatedAt), DbJson.Utc(UpdatedAt), Version);
    }
}
