using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Core.Sessions;

/// <summary>
/// The widget's door (SPEC 5): a live widget key (current or in its grace period), an active tenant, and an Origin
/// among the tenant's allowed origins; no Origin only with <c>allow_native_clients</c>.
/// </summary>
public sealed class WidgetGate(ITenantRepository tenants, TimeProvider clock)
{
    public async Task<Tenant> OpenAsync(string? widgetKey, string? origin, CancellationToken ct)
    {
        var tenant = string.IsNullOrWhiteSpace(widgetKey) ? null : await tenants.FindByWidgetKeyAsync(widgetKey.Trim(), clock.GetUtcNow(), ct);
        if (tenant is null)
        {
            throw new AuthenticationFailedException(ErrorCodes.InvalidWidgetKey, "X-Bloonio-Widget-Key is missing, unknown or revoked");
        }

        if (tenant.Status != TenantStatuses.Active)
        {
            throw new ForbiddenException(ErrorCodes.TenantSuspended, "Tenant is suspended");
        }

        var allowed = string.IsNullOrEmpty(origin)
            ? tenant.Configuration.AllowNativeClients
            : OriginPattern.IsAllowed(tenant.Configuration.AllowedOrigins, origin);
        if (!allowed)
        {
            throw new ForbiddenException(ErrorCodes.OriginNotAllowed,
                string.IsNullOrEmpty(origin) ? "An Origin header is required (native clients are not enabled)" : $"Origin {origin} is not allowed");
        }

        return tenant;
    }
}
