using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Core.Sessions;

public interface ISessionRepository
{
    Task CreateAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct);

    Task<Session?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct);

    Task<Session?> FindOpenForUserAsync(Guid tenantId, string externalUserId, string? routingKey, CancellationToken ct);

    /// <summary>Like CreateAsync, but false (nothing written) when the user already has an open session in that routing key.</summary>
    Task<bool> TryCreateForUserAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct);

    /// <summary>Deletes the journal of sessions closed before <paramref name="closedBefore"/>; returns how many messages.</summary>
    Task<int> PurgeJournalAsync(DateTimeOffset closedBefore, CancellationToken ct);

    Task SetTicketAsync(Guid tenantId, Guid sessionId, string ticketId, CancellationToken ct);

    Task RotateResumeTokenAsync(Guid tenantId, Guid sessionId, byte[] resumeTokenHash, CancellationToken ct);

    Task<Session?> FindOpenByResumeTokenAsync(Guid tenantId, byte[] resumeTokenHash, CancellationToken ct);

    /// <summary>
    /// Appends to the journal under the session's row lock: the next seq, or the first message again for a repeated
    /// client_message_id. With <paramref name="queueIfHuman"/>, a human-mode session still open gets its WAITING
    /// assignment in the same transaction. Events (message.created, assignment.waiting) are written with it.
    /// </summary>
    /// <param name="monthlyLimit">
    /// When set, the message is refused (QuotaExceeded, nothing stored) once the tenant's month already holds that many;
    /// the message that reaches 80 % writes quota.warning, the one that reaches 100 % quota.exceeded. Every non-system
    /// message is counted.
    /// </param>
    Task<AppendOutcome> AppendAsync(Guid tenantId, Guid sessionId, NewMessage message, bool queueIfHuman, CancellationToken ct,
        int? monthlyLimit = null);

    /// <summary>
    /// An open session goes to the human queue: ticket stored, a system notice appended, a WAITING assignment and
    /// session.escalated written in one transaction. Null when the session was no longer open.
    /// </summary>
    Task<(Assignments.Assignment Assignment, JournalMessage Notice)?> EscalateAsync(
        Guid tenantId, Guid sessionId, string? ticketId, string? routingKey, string reason, NewMessage notice, CancellationToken ct);

    /// <summary>
    /// Closes the session and its open assignment, if any, with a system notice and the events, in one transaction.
    /// Null when it was already closed.
    /// </summary>
    Task<(Assignments.Assignment? Assignment, JournalMessage Notice)?> CloseAsync(
        Guid tenantId, Guid sessionId, string reason, NewMessage notice, CancellationToken ct);

    Task<IReadOnlyList<JournalMessage>> ListMessagesAsync(Guid tenantId, Guid sessionId, int afterSeq, int limit, CancellationToken ct);
}
