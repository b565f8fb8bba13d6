using System.Text;
using Bloonio.Relay.Core.Security;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>
/// One pass of the delivery worker: due deliveries (leased with SKIP LOCKED, so several nodes deliver each once in the
/// normal case) are signed with every live secret of the tenant (both during a rotation) and sent.
/// </summary>
public sealed record DeliverWebhooksCommand(int Limit = 50) : IRequest<int>;

public sealed class DeliverWebhooksHandler(
    IWebhookStore store, IWebhookSender sender, ITenantCredentialStore credentials, ISecretProtector protector, TimeProvider clock)
    : IRequestHandler<DeliverWebhooksCommand, int>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    public async Task<int> Handle(DeliverWebhooksCommand request, CancellationToken cancellationToken)
    {
        var due = await store.LeaseDueAsync(request.Limit, clock.GetUtcNow(), Lease, cancellationToken);
        foreach (var delivery in due)
        {
            var attempt = delivery.Attempts + 1;
            var body = Encoding.UTF8.GetBytes(delivery.PayloadJson);
            var headers = await HeadersAsync(delivery, attempt, body, cancellationToken);
            var result = await sender.SendAsync(delivery.Url, body, headers, cancellationToken);
            var now = clock.GetUtcNow();
            var outcome = WebhookRetryPolicy.Decide(result.StatusCode, result.RetryAfter, attempt, now, Random.Shared.NextDouble() * 2 - 1);
            await store.RecordAsync(delivery,
                new AttemptRecord(attempt, result.StatusCode, result.LatencyMs, result.ResponseExcerpt, result.Error, now), outcome, now, cancellationToken);
        }

        return due.Count;
    }

    private async Task<Dictionary<string, string>> HeadersAsync(DueDelivery delivery, int attempt, byte[] body, CancellationToken ct)
    {
        var timestamp = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString();
        var pathAndQuery = new Uri(delivery.Url).PathAndQuery;
        var secrets = (await credentials.FindAsync(delivery.TenantId, clock.GetUtcNow(), ct))?.ProtectedSecrets ?? [];
        return new Dictionary<string, string>
        {
            [Hmac1.TenantIdHeader] = delivery.TenantId.ToString(),
            [Hmac1.TimestampHeader] = timestamp,
            [Hmac1.SignatureHeader] = string.Join(",", secrets.Select(s => Hmac1.Sign(protector.Unprotect(s), timestamp, "POST", pathAndQuery, body))),
            ["X-Bloonio-Event-Id"] = delivery.EventId?.ToString() ?? delivery.DeliveryId.ToString(),
            ["X-Bloonio-Event-Type"] = delivery.EventType,
            ["X-Bloonio-Delivery-Attempt"] = attempt.ToString(),
        };
    }
}
