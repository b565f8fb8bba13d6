namespace Bloonio.Relay.Core.Brain;

public sealed record BrainVisitor(Guid VisitorId, string? DisplayName, string? Email);

public sealed record BrainReplyRequest(Guid TenantId, Guid SessionId, Guid MessageId, int Seq, string Text, BrainVisitor Visitor, string? RoutingKey);

public sealed record BrainSource(string Title, string? Url);

public sealed record BrainReply(
    string? Text, IReadOnlyList<BrainSource> Sources, bool Escalate, string? EscalateReason, IReadOnlyList<Sessions.QuickReply>? QuickReplies = null);

public sealed record TicketRequest(Guid TenantId, Guid SessionId, string Reason, string? RoutingKey, BrainVisitor Visitor, IReadOnlyList<string> TranscriptTail);

public sealed record PersistedMessage(Guid MessageId, int Seq, string SenderType, Guid? SenderId, string Text, DateTimeOffset CreatedAt);

/// <summary>
/// bloonio_chat_api (SPEC 9): answers bot-mode messages and creates tickets on escalation. Either the real brain over
/// HMAC#2, or the development brain when <c>Relay:Brain:BaseUrl</c> is empty.
/// </summary>
public interface IBrain
{
    string Name { get; }

    Task<BrainReply> ReplyAsync(BrainReplyRequest request, CancellationToken ct);

    Task<string> CreateTicketAsync(TicketRequest request, CancellationToken ct);

    /// <summary>The journal forwarded for persistence, batched per session; idempotent by message_id on the brain's side.</summary>
    Task PersistAsync(Guid tenantId, Guid sessionId, IReadOnlyList<PersistedMessage> messages, CancellationToken ct);
}
