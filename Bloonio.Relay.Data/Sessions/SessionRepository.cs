using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Sessions;

public sealed class SessionRepository(NpgsqlDataSource dataSource, EventCommits commits) : ISessionRepository, IAsyncDisposable
{
    // Group commit of new sessions (widget and backend): one statement pair and one commit for the sessions asked for
    // together (issue 12, P5: a commit and its fsync per session made PostgreSQL the cost of opening one).
    private GroupCommit<PendingCreate>? _batches;

    private GroupCommit<PendingCreate> Batches =>
        LazyInitializer.EnsureInitialized(ref _batches, () => new GroupCommit<PendingCreate>(64, batch => WriteBatchAsync(batch)));

    /// <summary>
    /// Stores the session and its <c>session.created</c> event, committed together, with other sessions asked for at
    /// the same time on this node; returns once committed. A batch that fails as a whole is written again one session
    /// at a time, so a session that breaks a rule (one open per user) fails alone.
    /// </summary>
    public Task CreateAsync(Session s, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct)
    {
        var create = new PendingCreate(s, resumeTokenHash, metadataJson, created);
        Batches.Add(create);
        return create.Done.Task.WaitAsync(ct);
    }

    public ValueTask DisposeAsync() => _batches?.DisposeAsync() ?? ValueTask.CompletedTask;

    private async Task WriteBatchAsync(IReadOnlyList<PendingCreate> batch)
    {
        try
        {
            await InsertAsync(batch);
        }
        catch (Exception ex) when (batch.Count > 1 && PostgresFailures.Cause(ex) is null)
        {
            // PostgreSQL refused the batch (a session that breaks a rule, say): one at a time, so that one fails alone.
            foreach (var create in batch)
            {
                await WriteBatchAsync([create]);
            }

            return;
        }
        catch (Exception ex)
        {
            // PostgreSQL away: the whole batch fails at once (one at a time would hold the writer for every time-out).
            foreach (var create in batch)
            {
                create.Done.TrySetException(ex);
            }

            return;
        }

        try
        {
            commits.Committed();
        }
        catch (Exception)
        {
            // waking the sequencer is best effort: the sessions are committed, their callers are answered below
        }

        foreach (var create in batch)
        {
            create.Done.TrySetResult(true);
        }
    }

    private async Task InsertAsync(IReadOnlyList<PendingCreate> batch)
    {
        // One round trip: the statements of one command run as one implicit transaction (PostgreSQL commits them together
        // at the protocol's Sync, or none of them), so no BEGIN/COMMIT exchanges.
        var sessions = batch.Select(c => c.Session).ToList();
        var parameters = new DynamicParameters(new
        {
            sessionIds = sessions.Select(s => s.SessionId).ToArray(),
            tenantIds = sessions.Select(s => s.TenantId).ToArray(),
            visitorIds = sessions.Select(s => s.VisitorId).ToArray(),
            externalUserIds = sessions.Select(s => s.ExternalUserId).ToArray(),
            modes = sessions.Select(s => s.Mode).ToArray(),
            statuses = sessions.Select(s => s.Status).ToArray(),
            routingKeys = sessions.Select(s => s.RoutingKey).ToArray(),
            displayNames = sessions.Select(s => s.VisitorDisplayName).ToArray(),
            emails = sessions.Select(s => s.VisitorEmail).ToArray(),
            metadata = batch.Select(c => c.MetadataJson).ToArray(),
            resumeTokenHashes = batch.Select(c => c.ResumeTokenHash).ToArray(),
            createdAts = sessions.Select(s => s.CreatedAt).ToArray(),
        });
        var events = EventWriter.AppendManySql(batch.Select(c => (c.Session.TenantId, c.Created)).ToList(), parameters);
        await using var connection = await dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(new CommandDefinition($"""
            INSERT INTO sessions (session_id, tenant_id, visitor_id, external_user_id, mode, status, routing_key, visitor_display_name,
                                  visitor_email, metadata, resume_token_hash, created_at, updated_at)
            SELECT s.session_id, s.tenant_id, s.visitor_id, s.external_user_id, s.mode, s.status, s.routing_key, s.visitor_display_name,
                   s.visitor_email, s.metadata, s.resume_token_hash, s.created_at, s.created_at
            FROM unnest(@sessionIds, @tenantIds, @visitorIds, @externalUserIds, @modes, @statuses, @routingKeys, @displayNames, @emails,
                        @metadata::jsonb[], @resumeTokenHashes, @createdAts)
                 AS s (session_id, tenant_id, visitor_id, external_user_id, mode, status, routing_key, visitor_display_name,
                       visitor_email, metadata, resume_token_hash, created_at);
            {events}
            """, parameters));
    }

    private sealed record PendingCreate(Session Session, byte[] ResumeTokenHash, string MetadataJson, RelayEvent Created) : Pending<bool>;

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
