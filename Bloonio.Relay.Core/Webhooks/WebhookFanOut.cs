using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Tenants;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>
/// The webhook consumer of the event log: each event the tenant subscribes to becomes a delivery row holding the
/// exact body to send (SPEC 8). Cheap and local, so the cursor never waits on a tenant's server; sending is the
/// delivery worker's job, with its own retry schedule per delivery.
/// </summary>
public sealed class WebhookFanOut(ITenantRepository tenants, IWebhookStore store, TimeProvider clock) : IEventConsumer
{
    public string Name => "webhooks";

    public IReadOnlySet<string>? Types => null;

    public async Task<bool> ActiveForAsync(Guid tenantId, CancellationToken ct) =>
        (await tenants.GetAsync(tenantId, ct))?.Configuration.WebhookUrl is not null;

    public async Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        var configuration = (await tenants.GetAsync(tenantId, ct))?.Configuration;
        if (configuration?.WebhookUrl is not { } url)
        {
            return;
        }

        var subscribed = configuration.WebhookEvents;
        var deliveries = events
            .Where(e => subscribed is null || subscribed.Contains(e.Type))
            .Select(e => new NewDelivery(Ids.New(clock), tenantId, e.EventId, e.Type, url, Payload(e), clock.GetUtcNow()))
            .ToList();
        await store.AddAsync(deliveries, ct);
    }

    /// <summary>SPEC 8's body: id, type, created_at, tenant_id, data; plus the feed's sequence.</summary>
    public static string Payload(StoredEvent e)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", e.EventId);
            writer.WriteString("type", e.Type);
            writer.WriteString("created_at", e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'"));
            writer.WriteString("tenant_id", e.TenantId);
            writer.WriteNumber("sequence", e.Sequence);
            writer.WritePropertyName("data");
            using (var data = JsonDocument.Parse(e.DataJson))
            {
                data.RootElement.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
