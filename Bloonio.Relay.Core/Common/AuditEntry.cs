namespace Bloonio.Relay.Core.Common;

/// <summary>One line of the audit log: who did what, when, from where. Written in the transaction of the change.</summary>
public sealed record AuditEntry(
    Guid AuditId,
    Guid? TenantId,
    string Actor,
    string Action,
    string? Target,
    string? IpAddress,
    IReadOnlyDictionary<string, object?> Details,
    DateTimeOffset CreatedAt)
{
    public static AuditEntry For(
        ICallerContext caller, TimeProvider clock, Guid? tenantId, string action, string? target,
        IReadOnlyDictionary<string, object?>? details = null) =>
        new(Ids.New(clock), tenantId, caller.Actor, action, target, caller.IpAddress,
            details ?? new Dictionary<string, object?>(), clock.GetUtcNow());
}
