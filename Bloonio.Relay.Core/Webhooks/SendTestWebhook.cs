using System.Text.Json;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Tenants;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>Queues a <c>webhook.test</c> delivery to the configured URL, signed like every other.</summary>
public sealed record SendTestWebhookCommand(Guid TenantId) : IRequest<DeliveryView>, ITenantScoped;

public sealed class SendTestWebhookHandler(ITenantRepository tenants, IWebhookStore store, TimeProvider clock)
    : IRequestHandler<SendTestWebhookCommand, DeliveryView>
{
    public async Task<DeliveryView> Handle(SendTestWebhookCommand request, CancellationToken cancellationToken)
    {
        var url = (await tenants.GetAsync(request.TenantId, cancellationToken))?.Configuration.WebhookUrl
            ?? throw new ConflictException(ErrorCodes.WebhookNotConfigured, "Set webhook_url first");
        var id = Ids.New(clock);
        var now = clock.GetUtcNow();
        var payload = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["id"] = id, ["type"] = "webhook.test", ["created_at"] = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"),
            ["tenant_id"] = request.TenantId, ["data"] = new Dictionary<string, string> { ["message"] = "A test event from the Bloonio Chat Relay" },
        });
        await store.AddAsync([new NewDelivery(id, request.TenantId, null, "webhook.test", url, payload, now)], cancellationToken);
        return (await store.GetAsync(request.TenantId, id, cancellationToken))!;
    }
}
