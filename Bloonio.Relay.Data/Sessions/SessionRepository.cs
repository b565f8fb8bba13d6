using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

public sealed class SessionRepository(NpgsqlDataSource dataSource, EventCommits commits) : ISessionRepository
{
    public async Task CreateAsync(Session s, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct)
    {
        // One round trip: the statements of one command run as one implicit transaction (PostgreSQL commits them together
        // at the protocol's Sync, or none of them), so no BEGIN/COMMIT exchanges.
        var parameters = new DynamicParameters(new
        {
            s.SessionId, s.TenantId, s.VisitorId, s.ExternalUserId, s.Mode, s.Status, s.RoutingKey, s.VisitorDisplayName,
            s.VisitorEmail, metadataJson, resumeTokenHash, s.CreatedAt,
        });
        var events = EventWriter.AppendManySql([(s.TenantId, created)], parameters);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO sessions (session_id, tenant_id, visitor_id, external_user_id, mode, status, routing_key, visitor_display_name,
                                  visitor_email, metadata, resume_token_hash, created_at, updated_at)
            VALUES (@SessionId, @TenantId, @VisitorId, @ExternalUserId, @Mode, @Status, @RoutingKey, @VisitorDisplayName,
                    @VisitorEmail, @metadataJson::jsonb, @resumeTokenHash, @CreatedAt, @CreatedAt);
            {events}
            """, parameters, cancellationToken: ct));
        commits.Committed();
    }

    public async Task<Session?> FindOpenForUserAsync(Guid tenantId, string externalUserId, string? routingKey, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition($"""
            SELECT {SessionSql.SessionColumns} FROM sessions s
            WHERE s.tenant_id = @tenantId AND s.external_user_id = @externalUserId AND COALESCE(s.routing_key, '') = COALESCE(@routingKey, '')
              AND s.status <> 'closed'
            """, new { tenantId, externalUserId, routingKey }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<bool> TryCreateForUserAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct)
    {
        try
        {
            await CreateAsync(session, resumeTokenHash, metadataJson, created, ct);
            return true;
        }
        catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "sessions_one_open_per_user" })
        {
            return false;
        }
    }

    public async Task<bool> SetTicketAsync(Guid tenantId, Guid sessionId, string ticketId, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var set = await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET ticket_id = @ticketId WHERE tenant_id = @tenantId AND session_id = @sessionId AND ticket_id IS NULL",
            new { tenantId, sessionId, ticketId }, tx, cancellationToken: ct)) == 1;
        if (set)
        {
            await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionTicketCreated,
                new { session_id = sessionId, ticket_id = ticketId }, now), ct);
        }

        await tx.CommitAsync(ct);
        if (set)
        {
            commits.Committed();
        }

        return set;
    }

    public async Task RotateResumeTokenAsync(Guid tenantId, Guid sessionId, byte[] resumeTokenHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE sessions SET resume_token_hash = @resumeTokenHash WHERE tenant_id = @tenantId AND session_id = @sessionId",
            new { tenantId, sessionId, resumeTokenHash }, cancellationToken: ct));
    }

    public async Task<Session?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition(
            $"SELECT {SessionSql.SessionColumns} FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId",
            new { tenantId, sessionId }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<Session?> FindOpenByResumeTokenAsync(Guid tenantId, byte[] resumeTokenHash, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QuerySingleOrDefaultAsync<SessionRow>(new CommandDefinition($"""
            SELECT {SessionSql.SessionColumns} FROM sessions s
            WHERE s.tenant_id = @tenantId AND s.resume_token_hash = @resumeTokenHash AND s.status <> 'closed'
            """, new { tenantId, resumeTokenHash }, cancellationToken: ct)))?.ToSession();
    }

    public async Task<IReadOnlyList<JournalMessage>> ListMessagesAsync(Guid tenantId, Guid sessionId, int afterSeq, int limit, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<MessageRow>(new CommandDefinition($"""
            SELECT {SessionSql.MessageColumns} FROM messages m
            WHERE m.tenant_id = @tenantId AND m.session_id = @sessionId AND m.seq > @afterSeq
            ORDER BY m.seq LIMIT @limit
            """, new { tenantId, sessionId, afterSeq, limit }, cancellationToken: ct));
        return rows.Select(r => r.ToMessage()).ToList();
    }
}
