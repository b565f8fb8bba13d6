using Bloonio.Relay.Core.Assignments;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// Real-time fan-out, implemented in Web over SignalR groups (one node or many). Called after the change is
/// committed; a client that misses a push catches up with History.
/// </summary>
public interface IRelayNotifier
{
    /// <summary>To the session's visitors and, when the session is assigned, to its operator's connections.</summary>
    Task MessageAsync(JournalMessage message, Guid? assignedOperatorId, CancellationToken ct);

    /// <summary>To the queue's operators: the routing key's group and the tenant-wide group.</summary>
    Task AssignmentWaitingAsync(Assignment assignment, CancellationToken ct);

    Task AssignmentRemovedAsync(Assignment assignment, string reason, CancellationToken ct);

    Task AssignmentAssignedAsync(Assignment assignment, CancellationToken ct);

    /// <summary>Typing or read state (not stored): to the visitors and the assigned operator; each side ignores its own.</summary>
    Task SignalAsync(Guid tenantId, Guid sessionId, Guid? assignedOperatorId, string kind, object payload, CancellationToken ct);

    /// <summary>To the operators of a session's queue (its routing key's and the tenant-wide ones) and its holder: notes, viewing.</summary>
    Task ToSessionOperatorsAsync(Guid tenantId, string? routingKey, Guid? assignedOperatorId, string kind, object payload, CancellationToken ct);

    /// <summary>The session closed under an operator (the visitor left, or the backend closed it).</summary>
    Task SessionClosedAsync(Guid tenantId, Guid sessionId, Guid operatorId, CancellationToken ct);

    Task SessionStateAsync(
        Guid tenantId, Guid sessionId, string status, int? queuePosition, SessionOperator? @operator, CancellationToken ct,
        int? estimatedWaitSeconds = null);
}

public sealed record SessionOperator(string DisplayName, string? AvatarUrl);
