namespace Bloonio.Relay.Core.Assignments;

public static class AssignmentStatuses
{
    public const string Waiting = "waiting";
    public const string Assigned = "assigned";
    public const string Closed = "closed";
}

public sealed record Assignment(
    Guid AssignmentId,
    Guid TenantId,
    Guid SessionId,
    string? RoutingKey,
    string Status,
    Guid? OperatorId,
    DateTimeOffset WaitingSince,
    DateTimeOffset? AssignedAt,
    DateTimeOffset CreatedAt);
