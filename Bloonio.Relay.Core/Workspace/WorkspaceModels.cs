using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Core.Workspace;

/// <summary>What to list: every field optional; <see cref="Q"/> searches message text and the visitor's name, email and user id.</summary>
public sealed record ConversationFilter(
    string? Status = null, string? RoutingKey = null, Guid? OperatorId = null, string? Tag = null, DateTimeOffset? From = null,
    DateTimeOffset? To = null, string? Q = null, string? Cursor = null, int? Limit = null, bool? Offline = null);

/// <summary>Who looks: an operator restricted to routing keys sees their queues' conversations and those it took part in.</summary>
public sealed record ConversationScope(IReadOnlyList<string>? RoutingKeys, Guid? OperatorId)
{
    public static readonly ConversationScope Tenant = new(null, null);
}

/// <param name="Preview">The visitor's first message.</param>
/// <param name="Snippet">With a search, where it matched: HTML-escaped text with the hit in &lt;mark&gt;.</param>
public sealed record ConversationSummary(
    Guid SessionId, string Status, string Mode, string? RoutingKey, VisitorView Visitor, Guid? OperatorId, string? TicketId,
    IReadOnlyList<string> Tags, string? Preview, string? Snippet, int LastSeq, DateTimeOffset CreatedAt, DateTimeOffset? ClosedAt,
    int? Rating = null, bool Offline = false);

public sealed record VisitorView(Guid VisitorId, string? DisplayName, string? Email, string? ExternalUserId, bool Verified);

public sealed record ConversationPage(IReadOnlyList<ConversationSummary> Items, string? NextCursor);

public sealed record Note(Guid NoteId, Guid SessionId, Guid? OperatorId, string? AuthorDisplayName, int AfterSeq, string Text, DateTimeOffset CreatedAt);

/// <summary>A conversation as an operator reviews it: the whole journal with the notes between its messages, who held it when, the ticket and tags, the visitor's context and past sessions.</summary>
public sealed record ConversationDetail(
    ConversationSummary Summary, System.Text.Json.JsonElement Metadata, IReadOnlyList<JournalMessage> Messages, IReadOnlyList<Note> Notes,
    IReadOnlyList<Assignment> Assignments, IReadOnlyList<ConversationSummary> PastSessions, string? RatingComment = null);

public sealed record CannedResponse(Guid CannedId, string Title, string Shortcut, string Text, string? RoutingKey, DateTimeOffset UpdatedAt);

/// <summary>What a queue card shows of its conversation: who the visitor is and what they first said.</summary>
public sealed record QueueCard(Guid SessionId, string? VisitorDisplayName, string? VisitorEmail, bool Verified, string? Preview,
    string? OperatorDisplayName = null);

/// <summary>Conversations of a period, in total (<see cref="RoutingKey"/> null and <see cref="IsTotal"/>) or for one queue ("" = no routing key).</summary>
/// <param name="FirstResponseSeconds">Average from the visitor's first message to the first operator reply.</param>
/// <param name="AcceptSeconds">Average from entering a queue to an operator's accept (the first one).</param>
/// <param name="ResolutionSeconds">Average from the start to the end of the ended conversations.</param>
/// <param name="Csat">Average rating (1–5) of the rated ones.</param>
public sealed record ReportRow(
    bool IsTotal, string? RoutingKey, long Conversations, long Closed, double? FirstResponseSeconds, double? AcceptSeconds, double? ResolutionSeconds,
    double? Csat, long Ratings);

public interface IWorkspaceRepository
{
    /// <summary>The totals and one row per routing key of the conversations started in [from, to).</summary>
    Task<IReadOnlyList<ReportRow>> ReportAsync(Guid tenantId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct);

    /// <summary>A conversation that starts ended with the visitor's message (offline), its events; returns its id.</summary>
    Task<Guid> CreateOfflineAsync(Guid tenantId, string email, string? displayName, string? routingKey, string text, DateTimeOffset now, CancellationToken ct);

    /// <summary>The cards of these sessions (one round trip), for queue and conversation lists.</summary>
    Task<IReadOnlyDictionary<Guid, QueueCard>> CardsAsync(Guid tenantId, IReadOnlyCollection<Guid> sessionIds, CancellationToken ct);

    Task<ConversationPage> ListAsync(Guid tenantId, ConversationFilter filter, ConversationScope scope, CancellationToken ct);

    /// <param name="full">False: the summary and the assignments only (no journal, notes or past sessions).</param>
    Task<ConversationDetail?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct, bool full = true);

    /// <summary>Replaces the session's tags (with a <c>session.tagged</c> event); false when the session is not the tenant's.</summary>
    Task<bool> SetTagsAsync(Guid tenantId, Guid sessionId, IReadOnlyList<string> tags, DateTimeOffset now, CancellationToken ct);

    /// <summary>Stores a note after the session's last message (with a <c>note.created</c> event); null when the session is not the tenant's.</summary>
    Task<Note?> AddNoteAsync(Guid tenantId, Guid sessionId, Guid? operatorId, string? authorName, string text, DateTimeOffset now, CancellationToken ct);

    /// <summary>Stores (or replaces) the rating, with a <c>session.rated</c> event carrying the transcript.</summary>
    Task<Rating> RateAsync(Guid tenantId, Guid sessionId, int score, string? comment, IReadOnlyList<TranscriptLine> transcript, DateTimeOffset now,
        CancellationToken ct);

    Task<IReadOnlyList<CannedResponse>> ListCannedAsync(Guid tenantId, CancellationToken ct);

    /// <summary>Creates or replaces (by id); null when the shortcut is taken by another, or there are already 500.</summary>
    Task<CannedResponse?> SaveCannedAsync(Guid tenantId, CannedResponse canned, CancellationToken ct);

    Task<bool> DeleteCannedAsync(Guid tenantId, Guid cannedId, CancellationToken ct);
}
