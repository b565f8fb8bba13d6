using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Core.Sessions;

public interface ISessionRepository
{
    Task CreateAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct);

    Task<Session?> GetAsync(Guid tenantId, Guid sessionId, CancellationToken ct);

    Task<Session?> FindOpenForUserAsync(Guid tenantId, string externalUserId, string? routingKey, CancellationToken ct);

    /// <summary>Like CreateAsync, but false (nothing written) when the user already has an open session in that routing key.</summary>
    Task<bool> TryCreateForUserAsync(Session session, byte[] resumeTokenHash, string metadataJson, RelayEvent created, CancellationToken ct);

    /// <summary>Stores the session's ticket if it has none yet, with its session.ticket_created event; false when it had one.</summary>
    Task<bool> SetTicketAsync(Guid tenantId, Guid sessionId, string ticketId, DateTimeOffset now, CancellationToken ct);

    Task RotateResumeTokenAsync(Guid tenantId, Guid sessionId, byte[] resumeTokenHash, CancellationToken ct);

    Task<Session?> FindOpenByResumeTokenAsync(Guid tenantId, byte[] resumeTokenHash, CancellationToken ct);

    Task<IReadOnlyList<JournalMessage>> ListMessagesAsync(Guid tenantId, Guid sessionId, int afterSeq, int limit, CancellationToken ct);
}
