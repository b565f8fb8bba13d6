using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Core.Assignments;

public enum AcceptStatus
{
    Accepted,
    NotFound,
    AlreadyAssigned,
    MaxConcurrentReached,
}

public sealed record AcceptOutcome(AcceptStatus Status, Assignment? Assignment);

public sealed record OperatorLoad(Guid OperatorId, int OpenAssignments, DateTimeOffset? LastAssignedAt);

public interface IAssignmentRepository
{
    Task<Assignment?> GetAsync(Guid tenantId, Guid assignmentId, CancellationToken ct);

    Task<Assignment?> FindOpenForSessionAsync(Guid tenantId, Guid sessionId, CancellationToken ct);

    /// <summary>WAITING assignments of the queues given (null = every queue of the tenant), oldest first.</summary>
    Task<IReadOnlyList<Assignment>> ListWaitingAsync(Guid tenantId, IReadOnlyList<string>? routingKeys, CancellationToken ct);

    Task<IReadOnlyList<Assignment>> ListAssignedAsync(Guid tenantId, Guid operatorId, CancellationToken ct);

    /// <summary>Open assignment count and last assignment time of each operator of the tenant that has had one.</summary>
    Task<IReadOnlyList<OperatorLoad>> ListOperatorLoadAsync(Guid tenantId, CancellationToken ct);

    /// <summary>Average seconds from WAITING to accepted over the queue's last accepts; null with no history.</summary>
    Task<double?> AverageWaitSecondsAsync(Guid tenantId, string? routingKey, CancellationToken ct);

    /// <summary>1-based place of a WAITING assignment in its queue (same routing key), oldest first.</summary>
    Task<int?> QueuePositionAsync(Guid tenantId, Guid assignmentId, CancellationToken ct);

    /// <summary>
    /// Decided in the database: the WAITING row is claimed by one UPDATE (never two winners, on any number of
    /// nodes), and the operator's open assignments are counted under a per-operator transaction lock.
    /// </summary>
    Task<AcceptOutcome> AcceptAsync(Guid tenantId, Guid assignmentId, Guid operatorId, int maxConcurrent, DateTimeOffset now, CancellationToken ct);

    /// <summary>Back to WAITING in the same queue (keeping its place by waiting_since); null when not this operator's.</summary>
    Task<Assignment?> ReleaseAsync(Guid tenantId, Guid assignmentId, Guid operatorId, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// In one transaction: to another operator (stays assigned, new owner) or to another routing key's queue (WAITING
    /// there). Never two owners, never none. Null when not this operator's open assignment.
    /// </summary>
    Task<Assignment?> TransferAsync(Guid tenantId, Guid assignmentId, Guid operatorId, Guid? toOperatorId, string? toRoutingKey,
        DateTimeOffset now, CancellationToken ct);

    /// <summary>Closes the assignment and returns its session to the bot (open, mode bot) with a system notice.</summary>
    Task<(Assignment Assignment, JournalMessage Notice)?> HandBackAsync(
        Guid tenantId, Guid assignmentId, Guid operatorId, NewMessage notice, DateTimeOffset now, CancellationToken ct);

    /// <summary>
    /// Assigned assignments whose operator has not been connected since <paramref name="seenBefore"/> go back to
    /// WAITING (assignment.released with reason abandoned); rows another node is handling are skipped.
    /// </summary>
    Task<IReadOnlyList<Assignment>> ReturnAbandonedAsync(DateTimeOffset seenBefore, DateTimeOffset now, CancellationToken ct);

    /// <summary>WAITING assignments older than their tenant's max_wait_seconds.</summary>
    Task<IReadOnlyList<Assignment>> ListOverdueAsync(DateTimeOffset now, CancellationToken ct);

    /// <summary>Closes the assignment and its session (with a system message and events); null when not this operator's.</summary>
    Task<(Assignment Assignment, JournalMessage Notice)?> CloseAsync(
        Guid tenantId, Guid assignmentId, Guid operatorId, string? resolution, NewMessage notice, DateTimeOffset now, CancellationToken ct);
}
