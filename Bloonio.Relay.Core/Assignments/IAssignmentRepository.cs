namespace Bloonio.Relay.Core.Assignments;

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
    /// The sweep's candidates, read in one round trip (an idle node's sweep is one of the few things it asks of
    /// PostgreSQL): assigned assignments whose operator has not been connected since <paramref name="seenBefore"/>, and
    /// WAITING ones older than their tenant's max_wait_seconds at <paramref name="now"/>.
    /// </summary>
    Task<(IReadOnlyList<Assignment> Abandoned, IReadOnlyList<Assignment> Overdue)> ListSweepCandidatesAsync(
        DateTimeOffset seenBefore, DateTimeOffset now, CancellationToken ct);
}
