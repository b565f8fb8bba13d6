using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>WAITING assignments this operator may take (its routing keys, or all for a tenant-wide operator), oldest first.</summary>
public sealed record ListQueueQuery(Guid TenantId, Guid OperatorId) : IRequest<IReadOnlyList<Assignment>>, ITenantScoped;

public sealed class ListQueueHandler(OperatorAccess access, IAssignmentRepository assignments)
    : IRequestHandler<ListQueueQuery, IReadOnlyList<Assignment>>
{
    public async Task<IReadOnlyList<Assignment>> Handle(ListQueueQuery request, CancellationToken cancellationToken)
    {
        var membership = await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        return await assignments.ListWaitingAsync(request.TenantId, membership.RoutingKeys, cancellationToken);
    }
}

public sealed record ListMineQuery(Guid TenantId, Guid OperatorId) : IRequest<IReadOnlyList<Assignment>>, ITenantScoped;

public sealed class ListMineHandler(OperatorAccess access, IAssignmentRepository assignments)
    : IRequestHandler<ListMineQuery, IReadOnlyList<Assignment>>
{
    public async Task<IReadOnlyList<Assignment>> Handle(ListMineQuery request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        return await assignments.ListAssignedAsync(request.TenantId, request.OperatorId, cancellationToken);
    }
}
