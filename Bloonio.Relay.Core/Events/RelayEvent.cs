namespace Bloonio.Relay.Core.Events;

/// <summary>An event for webhooks and the ordered feed, written in the transaction of the change it reports.</summary>
public sealed record RelayEvent(Guid EventId, string Type, object Data, DateTimeOffset CreatedAt);

public static class EventTypes
{
    public const string SessionCreated = "session.created";
    public const string MessageCreated = "message.created";
    public const string SessionEscalated = "session.escalated";
    public const string SessionTicketCreated = "session.ticket_created";
    public const string SessionTagged = "session.tagged";
    public const string NoteCreated = "note.created";
    public const string SessionRated = "session.rated";
    public const string SessionOfflineMessage = "session.offline_message";
    public const string AssignmentWaiting = "assignment.waiting";
    public const string AssignmentAccepted = "assignment.accepted";
    public const string AssignmentReleased = "assignment.released";
    public const string AssignmentTransferred = "assignment.transferred";
    public const string AssignmentClosed = "assignment.closed";
    public const string SessionClosed = "session.closed";
    public const string OperatorProvisioned = "operator.provisioned";
    public const string OperatorDeprovisioned = "operator.deprovisioned";
    public const string KeyRotated = "key.rotated";
    public const string QuotaWarning = "quota.warning";
    public const string QuotaExceeded = "quota.exceeded";
}

/// <summary>Numbers the committed events that have no sequence yet (the feed and the consumers read numbered ones only).</summary>
public interface IEventSequencer
{
    /// <summary>Numbers everything committed so far; returns how many. Readers call it first to read their own writes.</summary>
    Task<int> CatchUpAsync(CancellationToken ct);
}
