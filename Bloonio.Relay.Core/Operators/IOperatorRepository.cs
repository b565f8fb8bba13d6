using Bloonio.Relay.Core.Common;

namespace Bloonio.Relay.Core.Operators;

public interface IOperatorRepository
{
    Task<bool> ExistsAsync(string email, CancellationToken ct);

    /// <summary>
    /// Creates the operator if the email is new (<paramref name="passwordHash"/> is then stored) and upserts its
    /// membership in the tenant, in one transaction; safe under concurrent calls for the same email.
    /// </summary>
    Task<ProvisionOutcome> ProvisionAsync(OperatorProvision provision, string passwordHash, int maxActiveOperators, AuditEntry audit,
        CancellationToken ct);

    /// <summary>The membership of <paramref name="email"/> in the tenant, active or not; null when there is none.</summary>
    Task<OperatorMembership?> FindMembershipAsync(Guid tenantId, string email, CancellationToken ct);

    Task<OperatorMembership?> FindMembershipAsync(Guid tenantId, Guid operatorId, CancellationToken ct);

    /// <summary>Deactivates the membership and bumps its token version (revoking its tokens); null when absent.</summary>
    Task<OperatorMembership?> DeactivateAsync(Guid tenantId, string email, AuditEntry audit, CancellationToken ct);

    /// <summary>available or away; false when there is no active membership.</summary>
    Task<bool> SetAvailabilityAsync(Guid tenantId, Guid operatorId, string availability, CancellationToken ct);

    /// <summary>Marks these operators as connected now (a node's heartbeat for its live connections).</summary>
    Task TouchConnectedAsync(Guid tenantId, IReadOnlyCollection<Guid> operatorIds, DateTimeOffset now, CancellationToken ct);

    Task<IReadOnlyList<OperatorMembership>> ListAsync(Guid tenantId, CancellationToken ct);
}
