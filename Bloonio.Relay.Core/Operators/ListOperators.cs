using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Operators;

public sealed record ListOperatorsQuery(Guid TenantId) : IRequest<IReadOnlyList<OperatorView>>, ITenantScoped;

public sealed record OperatorView(
    Guid OperatorId, string Email, string DisplayName, string? AvatarUrl, IReadOnlyList<string>? RoutingKeys,
    string Role, bool Active, string Presence, DateTimeOffset CreatedAt, int? MaxConcurrent = null);

public sealed class ListOperatorsHandler(IOperatorRepository operators, IOperatorPresence presence)
    : IRequestHandler<ListOperatorsQuery, IReadOnlyList<OperatorView>>
{
    public async Task<IReadOnlyList<OperatorView>> Handle(ListOperatorsQuery request, CancellationToken cancellationToken)
    {
        var memberships = await operators.ListAsync(request.TenantId, cancellationToken);
        var online = await presence.GetAsync(request.TenantId, memberships.Select(m => m.OperatorId).ToList(), cancellationToken);
        return memberships
            .Select(m => new OperatorView(m.OperatorId, m.Email, m.DisplayName, m.AvatarUrl, m.RoutingKeys, m.Role,
                m.Active && m.OperatorActive, m.Active ? online.GetValueOrDefault(m.OperatorId, Presence.Offline) : Presence.Offline,
                m.CreatedAt, m.MaxConcurrent))
            .ToList();
    }
}
