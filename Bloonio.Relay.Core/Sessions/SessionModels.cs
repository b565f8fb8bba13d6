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
    Guid MessageId, Guid TenantId, Guid SessionId, int Seq, Sender Sender, string Text, string? ClientMessageId, DateTimeOffset CreatedAt);

public sealed record NewMessage(Guid MessageId, Sender Sender, string Text, string? ClientMessageId, DateTimeOffset CreatedAt);

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
