namespace Bloonio.Relay.Core.Sessions;

public static class SessionModes
{
    public const string Bot = "bot";
    public const string Human = "human";
}

public static class SessionStatuses
{
    public const string Open = "open";
    public const string Waiting = "waiting";
    public const string Assigned = "assigned";
    public const string Closed = "closed";
}

public static class SenderTypes
{
    public const string Visitor = "visitor";
    public const string Bot = "bot";
    public const string Operator = "operator";
    public const string System = "system";
}

public sealed record Session(
    Guid SessionId,
    Guid TenantId,
    Guid VisitorId,
    string? ExternalUserId,
    string Mode,
    string Status,
    string? RoutingKey,
    string? VisitorDisplayName,
    string? VisitorEmail,
    string? TicketId,
    int LastSeq,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ClosedAt);

public sealed record Sender(string Type, Guid? Id = null, string? DisplayName = null);

/// <summary>One journal entry. <c>seq</c> is 1, 2, 3 … per session without gaps.</summary>
public sealed record JournalMessage(
    Guid MessageId, Guid TenantId, Guid SessionId, int Seq, Sender Sender, string Text, string? ClientMessageId, DateTimeOffset CreatedAt,
    MessageExtras? Extras = null);

public sealed record NewMessage(Guid MessageId, Sender Sender, string Text, string? ClientMessageId, DateTimeOffset CreatedAt, MessageExtras? Extras = null);

/// <summary>A link under a message (where a bot's answer comes from).</summary>
public sealed record MessageLink(string Title, string? Url);

/// <summary>A button the visitor can tap: <see cref="Label"/> is sent as their message, <see cref="Value"/> rides along.</summary>
public sealed record QuickReply(string Label, string? Value = null);

/// <summary>The quick reply a visitor's message answers: the message that offered it, and its value.</summary>
public sealed record QuickReplyRef(Guid MessageId, string? Value);

/// <summary>What a message carries beside its text; null parts are absent.</summary>
public sealed record MessageExtras(
    IReadOnlyList<MessageLink>? Sources = null, IReadOnlyList<QuickReply>? QuickReplies = null, QuickReplyRef? InReplyTo = null,
    IReadOnlyList<Attachments.AttachmentRef>? Attachments = null)
{
    public const int MaxQuickReplies = 8;
    public const int MaxLabel = 80;
    public const int MaxSources = 10;

    public bool IsEmpty => (Sources is null or { Count: 0 }) && (QuickReplies is null or { Count: 0 }) && InReplyTo is null
                           && (Attachments is null or { Count: 0 });
}

/// <summary>
/// What appending did: the stored message (the first one for a repeated client_message_id), who hears it live (the
/// assignee under the lock), whether the bot lane answers it, and the WAITING assignment a human-mode first message made.
/// </summary>
public sealed record AppendOutcome(
    JournalMessage Message, bool Duplicate, Guid? Assignee = null, bool ToBot = false, Assignments.Assignment? CreatedAssignment = null);

public sealed record VisitorToken(string Token, DateTimeOffset ExpiresAt);

public interface IVisitorTokenIssuer
{
    VisitorToken Issue(Guid tenantId, Guid sessionId, Guid visitorId);
}

public static class QuickReplies
{
    /// <summary>At most 8, each label 1–80 characters and each value at most 200: what a widget can show as buttons.</summary>
    public static bool AreValid(IReadOnlyList<QuickReply?>? replies) =>
        replies is null || (replies.Count <= MessageExtras.MaxQuickReplies
                            && replies.All(r => r is not null && r.Label?.Trim().Length is >= 1 and <= MessageExtras.MaxLabel && (r.Value?.Length ?? 0) <= 200));

    public static IReadOnlyList<QuickReply>? Clean(IReadOnlyList<QuickReply?>? replies) =>
        replies is null or { Count: 0 } ? null : replies.Select(r => new QuickReply(r!.Label.Trim(), r.Value)).ToList();
}
