using System.Net;
using System.Text.Json;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Workspace;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Data.Sessions;
using Dapper;
using Npgsql;

namespace Bloonio.Relay.Data.Workspace;

/// <summary>
/// The operators' workspace over PostgreSQL: conversations listed by keyset (newest first), searched with full-text
/// search (<c>to_tsvector('simple', …)</c> GIN indexes on message text and on the visitor's name, email and user id),
/// tags, notes and canned responses. Every statement is scoped by tenant.
/// </summary>
public sealed class WorkspaceRepository(NpgsqlDataSource dataSource, EventCommits commits) : IWorkspaceRepository
{
    private const int DefaultLimit = 25;
    private const char HitStart = '\u0002';
    private const char HitEnd = '\u0003';

    private const string SummaryColumns = """
        s.session_id, s.status, s.mode, s.routing_key, s.visitor_id, s.visitor_display_name, s.visitor_email, s.external_user_id,
        s.ticket_id, s.last_seq, s.created_at, s.closed_at,
        (SELECT a.operator_id FROM assignments a WHERE a.session_id = s.session_id AND a.operator_id IS NOT NULL
         ORDER BY a.created_at DESC LIMIT 1) AS operator_id,
        ARRAY(SELECT t.tag FROM session_tags t WHERE t.session_id = s.session_id ORDER BY t.tag) AS tags,
        (SELECT m.text FROM messages m WHERE m.session_id = s.session_id AND m.sender_type = 'visitor' ORDER BY m.seq LIMIT 1) AS preview,
        (SELECT r.score FROM session_ratings r WHERE r.session_id = s.session_id) AS rating,
        coalesce((s.metadata ->> 'offline')::boolean, false) AS offline
        """;

    public async Task<ConversationPage> ListAsync(Guid tenantId, ConversationFilter filter, ConversationScope scope, CancellationToken ct)
    {
        var limit = filter.Limit ?? DefaultLimit;
        (DateTimeOffset At, Guid Id)? after = filter.Cursor is { } c && ConversationCursor.TryParse(c, out var position) ? position : null;
        var q = string.IsNullOrWhiteSpace(filter.Q) ? null : filter.Q.Trim();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = (await connection.QueryAsync<SummaryRow>(new CommandDefinition($"""
            SELECT {SummaryColumns},
                   CASE WHEN @q::text IS NULL THEN NULL ELSE (
                       SELECT ts_headline('simple', m.text, websearch_to_tsquery('simple', @q::text),
                                          'StartSel=' || chr(2) || ',StopSel=' || chr(3) || ',MaxWords=20,MinWords=8,MaxFragments=1')
                       FROM messages m WHERE m.session_id = s.session_id
                         AND to_tsvector('simple', m.text) @@ websearch_to_tsquery('simple', @q::text)
                       ORDER BY m.seq LIMIT 1) END AS snippet
            FROM sessions s
            WHERE s.tenant_id = @tenantId
              AND (@status::text IS NULL OR s.status = @status::text)
              AND (@routingKey::text IS NULL OR s.routing_key = @routingKey::text)
              AND (@from::timestamptz IS NULL OR s.created_at >= @from::timestamptz)
              AND (@to::timestamptz IS NULL OR s.created_at < @to::timestamptz)
              AND (@offline::boolean IS NULL OR coalesce((s.metadata ->> 'offline')::boolean, false) = @offline::boolean)
              AND (@tag::text IS NULL OR EXISTS (SELECT 1 FROM session_tags t WHERE t.session_id = s.session_id AND t.tag = @tag::text))
              AND (@operatorId::uuid IS NULL OR EXISTS (
                       SELECT 1 FROM assignments a WHERE a.session_id = s.session_id AND a.operator_id = @operatorId::uuid))
              AND (@q::text IS NULL
                   OR s.session_id IN (SELECT m.session_id FROM messages m
                                       WHERE m.tenant_id = @tenantId AND to_tsvector('simple', m.text) @@ websearch_to_tsquery('simple', @q::text))
                   OR to_tsvector('simple', coalesce(s.visitor_display_name, '') || ' ' || coalesce(s.visitor_email, '') || ' '
                                  || coalesce(s.external_user_id, '')) @@ websearch_to_tsquery('simple', @q::text)
                   OR s.visitor_email ILIKE '%' || @qLike::text || '%' ESCAPE '\'
                   OR s.visitor_display_name ILIKE '%' || @qLike::text || '%' ESCAPE '\')
              AND (NOT @scoped OR s.routing_key = ANY(@keys) OR EXISTS (
                       SELECT 1 FROM assignments a WHERE a.session_id = s.session_id AND a.operator_id = @viewer))
              AND (@afterAt::timestamptz IS NULL OR (s.created_at, s.session_id) < (@afterAt::timestamptz, @afterId::uuid))
            ORDER BY s.created_at DESC, s.session_id DESC
            LIMIT @take
            """, new
        {
            tenantId, status = filter.Status, routingKey = filter.RoutingKey, from = filter.From, to = filter.To, tag = filter.Tag, offline = filter.Offline,
            operatorId = filter.OperatorId, q, qLike = q?.Replace(@"\", @"\\").Replace("%", @"\%").Replace("_", @"\_"),
            scoped = scope.RoutingKeys is not null, keys = scope.RoutingKeys?.ToArray() ?? [], viewer = scope.OperatorId ?? Guid.Empty,
            afterAt = after?.At, afterId = after?.Id, take = limit + 1,
        }, cancellationToken: ct))).ToList();
        var items = rows.Take(limit).Select(r => r.ToSummary()).ToList();
        return new ConversationPage(items, rows.Count > limit ? ConversationCursor.Make(items[^1].CreatedAt, items[^1].SessionId) : null);
    }

    public async Task<IReadOnlyList<ReportRow>> ReportAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(int Total, string? RoutingKey, long Conversations, long Closed, double? FirstResponse, double? Accept,
            double? Resolution, double? Csat, long Ratings)>(new CommandDefinition("""
            SELECT GROUPING(coalesce(s.routing_key, ''))::int, coalesce(s.routing_key, ''), count(*), count(s.closed_at),
                   avg(extract(epoch FROM fr.at - fv.at))::float8, avg(extract(epoch FROM a.assigned_at - a.waiting_since))::float8,
                   avg(extract(epoch FROM s.closed_at - s.created_at))::float8, avg(r.score)::float8, count(r.score)
            FROM sessions s
            LEFT JOIN LATERAL (SELECT x.waiting_since, x.assigned_at FROM assignments x
                               WHERE x.session_id = s.session_id AND x.assigned_at IS NOT NULL ORDER BY x.created_at LIMIT 1) a ON true
            LEFT JOIN LATERAL (SELECT min(m.created_at) AS at FROM messages m WHERE m.session_id = s.session_id AND m.sender_type = 'visitor') fv ON true
            LEFT JOIN LATERAL (SELECT min(m.created_at) AS at FROM messages m WHERE m.session_id = s.session_id AND m.sender_type = 'operator') fr ON true
            LEFT JOIN session_ratings r ON r.session_id = s.session_id
            WHERE s.tenant_id = @tenantId AND s.created_at >= @from AND s.created_at < @to
            GROUP BY ROLLUP (coalesce(s.routing_key, ''))
            ORDER BY 1 DESC, 3 DESC
            """, new { tenantId, from, to }, cancellationToken: ct));
        var report = rows.Select(r => new ReportRow(r.Total == 1, r.Total == 1 ? null : r.RoutingKey, r.Conversations, r.Closed, r.FirstResponse, r.Accept,
            r.Resolution, r.Csat, r.Ratings)).ToList();
        return report.Count > 0 ? report : [new ReportRow(true, null, 0, 0, null, null, null, null, 0)];
    }

    public async Task<Guid> CreateOfflineAsync(Guid tenantId, string email, string? displayName, string? routingKey, string text, DateTimeOffset now,
        CancellationToken ct)
    {
        var sessionId = Guid.CreateVersion7(now);
        var visitorId = Guid.CreateVersion7(now);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO sessions (session_id, tenant_id, visitor_id, mode, status, routing_key, visitor_display_name, visitor_email, metadata,
                                  resume_token_hash, last_seq, created_at, updated_at, closed_at)
            VALUES (@sessionId, @tenantId, @visitorId, 'human', 'closed', @routingKey, @displayName, @email, '{"offline": true}'::jsonb,
                    @resume, 1, @now, @now, @now)
            """, new { sessionId, tenantId, visitorId, routingKey, displayName, email, resume = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32), now },
            tx, cancellationToken: ct));
        await JournalWriter.InsertAsync(connection, tx, new Core.Sessions.JournalMessage(Guid.CreateVersion7(now), tenantId, sessionId, 1,
            new Core.Sessions.Sender(Core.Sessions.SenderTypes.Visitor, visitorId, displayName), text, null, now), ct);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionOfflineMessage, new
        {
            session_id = sessionId, email, display_name = displayName, routing_key = routingKey, text, reason = "offline message", created_at = now,
        }, now), ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        return sessionId;
    }

    public async Task<IReadOnlyDictionary<Guid, QueueCard>> CardsAsync(Guid tenantId, IReadOnlyCollection<Guid> sessionIds, CancellationToken ct)
    {
        if (sessionIds.Count == 0)
        {
            return new Dictionary<Guid, QueueCard>();
        }

        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(Guid SessionId, string? Name, string? Email, string? UserId, string? Preview, string? Holder)>(
            new CommandDefinition("""
            SELECT s.session_id, s.visitor_display_name, s.visitor_email, s.external_user_id,
                   (SELECT left(m.text, 140) FROM messages m WHERE m.session_id = s.session_id AND m.sender_type = 'visitor' ORDER BY m.seq LIMIT 1),
                   (SELECT om.display_name FROM assignments a
                    JOIN operator_memberships om ON om.tenant_id = a.tenant_id AND om.operator_id = a.operator_id
                    WHERE a.session_id = s.session_id AND a.status = 'assigned')
            FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = ANY(@ids)
            """, new { tenantId, ids = sessionIds.ToArray() }, cancellationToken: ct));
        return rows.ToDictionary(r => r.SessionId, r => new QueueCard(r.SessionId, r.Name, r.Email, r.UserId is not null, r.Preview, r.Holder));
    }

    public async Task<ConversationDetail?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct, bool full = true)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var read = await connection.QueryMultipleAsync(new CommandDefinition($"""
            SELECT {SummaryColumns}, NULL::text AS snippet, s.metadata::text AS metadata_json,
                   (SELECT r.comment FROM session_ratings r WHERE r.session_id = s.session_id) AS rating_comment FROM sessions s
            WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId;
            SELECT {SessionSql.AssignmentColumns} FROM assignments a WHERE a.tenant_id = @tenantId AND a.session_id = @sessionId ORDER BY a.created_at;
            SELECT {SessionSql.MessageColumns} FROM messages m WHERE @full AND m.tenant_id = @tenantId AND m.session_id = @sessionId ORDER BY m.seq;
            SELECT note_id, session_id, operator_id, author_display_name, after_seq, text, created_at FROM session_notes
            WHERE @full AND tenant_id = @tenantId AND session_id = @sessionId ORDER BY created_at;
            """, new { tenantId, sessionId, full }, cancellationToken: ct));
        var row = await read.ReadSingleOrDefaultAsync<SummaryRow>();
        if (row is null)
        {
            return null;
        }

        var summary = row.ToSummary();
        var assignments = (await read.ReadAsync<AssignmentRow>()).Select(a => a.ToAssignment()).ToList();
        var messages = (await read.ReadAsync<MessageRow>()).Select(m => m.ToMessage()).ToList();
        var notes = (await read.ReadAsync<NoteRow>()).Select(n => n.ToNote()).ToList();
        IReadOnlyList<ConversationSummary> past = [];
        if (full)
        {
            // The same visitor (widget) or the same user (identity from the backend), newest first.
            past = (await connection.QueryAsync<SummaryRow>(new CommandDefinition($"""
                SELECT {SummaryColumns}, NULL::text AS snippet FROM sessions s
                WHERE s.tenant_id = @tenantId AND s.session_id <> @sessionId
                  AND (s.visitor_id = @visitorId OR (@userId::text IS NOT NULL AND s.external_user_id = @userId::text))
                ORDER BY s.created_at DESC LIMIT 20
                """, new { tenantId, sessionId, visitorId = summary.Visitor.VisitorId, userId = summary.Visitor.ExternalUserId }, cancellationToken: ct)))
                .Select(r => r.ToSummary()).ToList();
        }

        using var metadata = JsonDocument.Parse(row.MetadataJson ?? "{}");
        return new ConversationDetail(summary, metadata.RootElement.Clone(), messages, notes, assignments, past, row.RatingComment);
    }

    public async Task<bool> SetTagsAsync(Guid tenantId, Guid sessionId, IReadOnlyList<string> tags, DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The session's row lock orders concurrent tag edits of one conversation (the last one wins, whole).
        var found = await connection.ExecuteScalarAsync<Guid?>(new CommandDefinition(
            "SELECT session_id FROM sessions WHERE tenant_id = @tenantId AND session_id = @sessionId FOR NO KEY UPDATE",
            new { tenantId, sessionId }, tx, cancellationToken: ct)) is not null;
        if (!found)
        {
            return false;
        }

        await connection.ExecuteAsync(new CommandDefinition("""
            DELETE FROM session_tags WHERE session_id = @sessionId AND NOT (tag = ANY(@tags));
            INSERT INTO session_tags (session_id, tenant_id, tag, created_at) SELECT @sessionId, @tenantId, t, @now FROM unnest(@tags) AS t
            ON CONFLICT DO NOTHING;
            """, new { tenantId, sessionId, tags = tags.ToArray(), now }, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionTagged,
            new { session_id = sessionId, tags }, now), ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        return true;
    }

    public async Task<Note?> AddNoteAsync(Guid tenantId, Guid sessionId, Guid? operatorId, string? authorName, string text, DateTimeOffset now,
        CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        var noteId = Guid.CreateVersion7(now);
        var afterSeq = await connection.ExecuteScalarAsync<int?>(new CommandDefinition("""
            INSERT INTO session_notes (note_id, tenant_id, session_id, operator_id, author_display_name, after_seq, text, created_at)
            SELECT @noteId, @tenantId, @sessionId, @operatorId, @authorName, s.last_seq, @text, @now
            FROM sessions s WHERE s.tenant_id = @tenantId AND s.session_id = @sessionId
            RETURNING after_seq
            """, new { noteId, tenantId, sessionId, operatorId, authorName, text, now }, tx, cancellationToken: ct));
        if (afterSeq is null)
        {
            return null;
        }

        var note = new Note(noteId, sessionId, operatorId, authorName, afterSeq.Value, text, now);
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.NoteCreated, new
        {
            session_id = sessionId, note_id = noteId, operator_id = operatorId, author_display_name = authorName, after_seq = note.AfterSeq, text,
        }, now), ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        return note;
    }

    public async Task<Rating> RateAsync(Guid tenantId, Guid sessionId, int score, string? comment, IReadOnlyList<TranscriptLine> transcript,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO session_ratings (session_id, tenant_id, score, comment, created_at, updated_at)
            VALUES (@sessionId, @tenantId, @score, @comment, @now, @now)
            ON CONFLICT (session_id) DO UPDATE SET score = EXCLUDED.score, comment = EXCLUDED.comment, updated_at = EXCLUDED.updated_at
            """, new { sessionId, tenantId, score = (short)score, comment, now }, tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, tenantId, new RelayEvent(Guid.CreateVersion7(now), EventTypes.SessionRated, new
        {
            session_id = sessionId, score, comment,
            transcript = transcript.Select(l => new { seq = l.Seq, sender_type = l.SenderType, sender = l.Sender, text = l.Text, created_at = l.CreatedAt }),
        }, now), ct);
        await tx.CommitAsync(ct);
        commits.Committed();
        return new Rating(sessionId, score, comment, now);
    }

    public async Task<IReadOnlyList<CannedResponse>> ListCannedAsync(Guid tenantId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return (await connection.QueryAsync<CannedRow>(new CommandDefinition(
                "SELECT canned_id, title, shortcut, text, routing_key, updated_at FROM canned_responses WHERE tenant_id = @tenantId ORDER BY shortcut",
                new { tenantId }, cancellationToken: ct)))
            .Select(r => r.ToCanned()).ToList();
    }

    public async Task<CannedResponse?> SaveCannedAsync(Guid tenantId, CannedResponse canned, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        try
        {
            var row = await connection.QuerySingleOrDefaultAsync<CannedRow>(new CommandDefinition("""
                INSERT INTO canned_responses (canned_id, tenant_id, title, shortcut, text, routing_key, created_at, updated_at)
                SELECT @CannedId, @tenantId, @Title, @Shortcut, @Text, @RoutingKey, @UpdatedAt, @UpdatedAt
                WHERE EXISTS (SELECT 1 FROM canned_responses WHERE canned_id = @CannedId AND tenant_id = @tenantId)
                   OR (SELECT count(*) FROM canned_responses WHERE tenant_id = @tenantId) < @max
                ON CONFLICT (canned_id) DO UPDATE SET title = EXCLUDED.title, shortcut = EXCLUDED.shortcut, text = EXCLUDED.text,
                    routing_key = EXCLUDED.routing_key, updated_at = EXCLUDED.updated_at
                    WHERE canned_responses.tenant_id = @tenantId
                RETURNING canned_id, title, shortcut, text, routing_key, updated_at
                """, new { canned.CannedId, tenantId, canned.Title, canned.Shortcut, canned.Text, canned.RoutingKey, canned.UpdatedAt,
                max = CannedText.MaxPerTenant }, cancellationToken: ct));
            return row?.ToCanned();
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return null; // the shortcut is another's
        }
    }

    public async Task<bool> DeleteCannedAsync(Guid tenantId, Guid cannedId, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteAsync(new CommandDefinition("DELETE FROM canned_responses WHERE tenant_id = @tenantId AND canned_id = @cannedId",
            new { tenantId, cannedId }, cancellationToken: ct)) == 1;
    }

    /// <summary>ts_headline's hit markers (control characters, which no stored text holds) as &lt;mark&gt;, the rest HTML-escaped.</summary>
    private static string? Highlight(string? snippet) =>
        snippet is null ? null : WebUtility.HtmlEncode(snippet).Replace(HitStart.ToString(), "<mark>").Replace(HitEnd.ToString(), "</mark>");

    private sealed class SummaryRow
    {
        public Guid SessionId { get; init; }
        public string Status { get; init; } = "";
        public string Mode { get; init; } = "";
        public string? RoutingKey { get; init; }
        public Guid VisitorId { get; init; }
        public string? VisitorDisplayName { get; init; }
        public string? VisitorEmail { get; init; }
        public string? ExternalUserId { get; init; }
        public string? TicketId { get; init; }
        public int LastSeq { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime? ClosedAt { get; init; }
        public Guid? OperatorId { get; init; }
        public string[] Tags { get; init; } = [];
        public string? Preview { get; init; }
        public string? Snippet { get; init; }
        public string? MetadataJson { get; init; }
        public short? Rating { get; init; }
        public bool Offline { get; init; }
        public string? RatingComment { get; init; }

        public ConversationSummary ToSummary() => new(SessionId, Status, Mode, RoutingKey,
            new VisitorView(VisitorId, VisitorDisplayName, VisitorEmail, ExternalUserId, Verified: ExternalUserId is not null), OperatorId, TicketId, Tags,
            Preview, Highlight(Snippet), LastSeq, DbJson.Utc(CreatedAt), ClosedAt is { } c ? DbJson.Utc(c) : null, Rating, Offline);
    }

    private sealed class NoteRow
    {
        public Guid NoteId { get; init; }
        public Guid SessionId { get; init; }
        public Guid? OperatorId { get; init; }
        public string? AuthorDisplayName { get; init; }
        public int AfterSeq { get; init; }
        public string Text { get; init; } = "";
        public DateTime CreatedAt { get; init; }

        public Note ToNote() => new(NoteId, SessionId, OperatorId, AuthorDisplayName, AfterSeq, Text, DbJson.Utc(CreatedAt));
    }

    private sealed class CannedRow
    {
        public Guid CannedId { get; init; }
        public string Title { get; init; } = "";
        public string Shortcut { get; init; } = "";
        public string Text { get; init; } = "";
        public string? RoutingKey { get; init; }
        public DateTime UpdatedAt { get; init; }

        public CannedResponse ToCanned() => new(CannedId, Title, Shortcut, Text, RoutingKey, DbJson.Utc(UpdatedAt));
    }
}
