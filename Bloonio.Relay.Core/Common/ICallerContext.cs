namespace Bloonio.Relay.Core.Common;

/// <summary>Who is calling, for tenant scoping and the audit log. Filled by the web layer or the CLI.</summary>
public interface ICallerContext
{
    /// <summary>The tenant authenticated by HMAC#1, or null for the platform admin and the CLI.</summary>
    Guid? TenantId { get; }

    /// <summary>A short label for the audit log: <c>admin-api</c>, <c>cli</c>, <c>tenant-backend</c>.</summary>
    string Actor { get; }

    string? IpAddress { get; }
}

public sealed class CallerContext : ICallerContext
{
    public Guid? TenantId { get; set; }
    public string Actor { get; set; } = "system";
    public string? IpAddress { get; set; }
}

/// <summary>A request that acts inside one tenant; the tenant-access behavior checks it against the caller.</summary>
public interface ITenantScoped
{
    Guid TenantId { get; }
}
