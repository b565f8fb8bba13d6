using Bloonio.Relay.Core.Common;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>A paused or disabled endpoint is turned back on; its pending deliveries then flow.</summary>
public sealed record ResumeWebhooksCommand(Guid TenantId) : IRequest<EndpointState>, ITenantScoped;

public sealed class ResumeWebhooksHandler(IWebhookStore store, ICallerContext caller, TimeProvider clock) : IRequestHandler<ResumeWebhooksCommand, EndpointState>
{
    public async Task<EndpointState> Handle(ResumeWebhooksCommand request, CancellationToken cancellationToken)
    {
        await store.SetEndpointAsync(request.TenantId, EndpointStatuses.Active, $"resumed by {caller.Actor}", clock.GetUtcNow(), cancellationToken);
        return await store.GetEndpointAsync(request.TenantId, cancellationToken);
    }
}
