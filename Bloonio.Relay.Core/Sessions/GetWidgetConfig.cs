using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Tenants;
using MediatR;

namespace Bloonio.Relay.Core.Sessions;

public sealed record GetWidgetConfigQuery(string? WidgetKey, string? Origin, string? RoutingKey = null) : IRequest<WidgetConfig>;

/// <summary>Whether a human can answer now: within hours, someone online; otherwise when hours start again.</summary>
/// <param name="ExpectedReplySeconds">The queue's recent average wait, when there is one.</param>
public sealed record WidgetAvailability(bool Open, bool OperatorsOnline, DateTimeOffset? NextOpenAt, int? ExpectedReplySeconds);

/// <summary>What the widget needs to draw itself: branding, feature flags and availability, nothing secret.</summary>
public sealed record WidgetConfig(Guid TenantId, string Name, Branding Branding, FeatureFlags FeatureFlags, WidgetAvailability? Availability = null);

public sealed class GetWidgetConfigHandler(WidgetGate gate, IOperatorRepository operators, IOperatorPresence presence, IAssignmentRepository assignments,
    TimeProvider clock) : IRequestHandler<GetWidgetConfigQuery, WidgetConfig>
{
    public async Task<WidgetConfig> Handle(GetWidgetConfigQuery request, CancellationToken cancellationToken)
    {
        var tenant = await gate.OpenAsync(request.WidgetKey, request.Origin, cancellationToken);
        var routingKey = OperatorRules.IsRoutingKey(request.RoutingKey) ? request.RoutingKey : null;
        var schedule = BusinessHours.For(tenant.Configuration, routingKey);
        var now = clock.GetUtcNow();
        var serving = (await operators.ListAsync(tenant.TenantId, cancellationToken))
            .Where(m => m.Active && m.OperatorActive && OperatorAccess.Serves(m, routingKey)).Select(m => m.OperatorId).ToList();
        var online = serving.Count > 0
                     && (await presence.GetAsync(tenant.TenantId, serving, cancellationToken)).Values.Any(p => p == Presence.Online);
        var wait = await assignments.AverageWaitSecondsAsync(tenant.TenantId, routingKey, cancellationToken);
        var availability = new WidgetAvailability(BusinessHours.IsOpen(schedule, now), online, BusinessHours.NextOpening(schedule, now),
            wait is { } w ? (int)Math.Round(w) : null);
        return new WidgetConfig(tenant.TenantId, tenant.Name, tenant.Configuration.Branding, tenant.Configuration.FeatureFlags, availability);
    }
}
