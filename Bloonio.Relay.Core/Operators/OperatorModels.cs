namespace Bloonio.Relay.Core.Operators;

public static class MembershipRoles
{
    public const string Owner = "owner";
    public const string Admin = "admin";
    public const string Operator = "operator";
}

/// <summary>One tenant's view of an operator: display data and routing keys are kept per membership.</summary>
public sealed record OperatorMembership(
    Guid OperatorId,
    Guid TenantId,
    string Email,
    string DisplayName,
    string? AvatarUrl,
    IReadOnlyList<string>? RoutingKeys,
    string Role,
    bool Active,
    bool OperatorActive,
    int TokenVersion,
    string Availability,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? LastConnectedAt = null,
    int? MaxConcurrent = null);

public sealed record OperatorProvision(
    Guid NewOperatorId,
    Guid TenantId,
    string Email,
    string DisplayName,
    string? AvatarUrl,
    IReadOnlyList<string>? RoutingKeys,
    DateTimeOffset Now,
    int? MaxConcurrent = null);

/// <param name="QuotaExceeded">The tenant already has its quota of active operators; nothing was written.</param>
public sealed record ProvisionOutcome(Guid OperatorId, bool Created, bool QuotaExceeded = false);

/// <summary>A signed operator token, scoped to one tenant (<c>tids</c> has exactly that membership).</summary>
public sealed record IssuedOperatorToken(string Token, DateTimeOffset ExpiresAt);

public interface IOperatorTokenIssuer
{
    IssuedOperatorToken Issue(OperatorMembership membership);
}

public static class Presence
{
    public const string Online = "online";
    public const string Away = "away";
    public const string Offline = "offline";
}

/// <summary>Who is connected to the operator hub right now, per tenant.</summary>
public interface IOperatorPresence
{
    Task<IReadOnlyDictionary<Guid, string>> GetAsync(Guid tenantId, IReadOnlyCollection<Guid> operatorIds, CancellationToken ct);
}
