using Bloonio.Relay.Core.Tenants;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

public sealed record GetWidgetConfigQuery(string? WidgetKey, string? Origin) : IRequest<WidgetConfig>;

/// <summary>What the widget needs to draw itself: branding and feature flags, nothing secret.</summary>
public sealed record WidgetConfig(Guid TenantId, string Name, Branding Branding, FeatureFlags FeatureFlags);

public sealed class GetWidgetConfigHandler(WidgetGate gate) : IRequestHandler<GetWidgetConfigQuery, WidgetConfig>
{
    public async Task<WidgetConfig> Handle(GetWidgetConfigQuery request, CancellationToken cancellationToken)
    {
        var tenant = await gate.OpenAsync(request.WidgetKey, request.Origin, cancellationToken);
        return new WidgetConfig(tenant.TenantId, tenant.Name, tenant.Configuration.Branding, tenant.Configuration.FeatureFlags);
    }
}
