using System.Text;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using MediatR;

namespace Bloonio.Relay.Core.Webhooks;

/// <summary>
/// One pass of the delivery worker: due deliveries (leased with SKIP LOCKED, so several nodes deliver each once in the
/// normal case) are signed with every live secret of the tenant (both during a rotation) and sent, 16 at a time, so
/// a slow or dead endpoint of one tenant does not hold the others'; the pass drains up to <c>Rounds</c> batches.
/// </summary>
public sealed record DeliverWebhooksCommand(int Limit = 50, int Rounds = 10) : IRequest<int>;

public sealed class DeliverWebhooksHandler(
    IWebhookStore store, IWebhookSender sender, ITenantCredentialStore credentials, ISecretProtector protector, TimeProvider clock,
    WebhookFailures failures)
    : IRequestHandler<DeliverWebhooksCommand, int>
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    public async Task<int> Handle(DeliverWebhooksCommand request, CancellationToken cancellationToken)
    {
        var sent = 0;
        for (var round = 0; round < request.Rounds; round++)
        {
            var due = await store.LeaseDueAsync(request.Limit, clock.GetUtcNow(), Lease, cancellationToken);
            await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken },
                async (delivery, ct) => await DeliverAsync(delivery, ct));
            sent += due.Count;
            if (due.Count < request.Limit)
            {
                break;
            }
        }

        return sent;
    }

    private async Task DeliverAsync(DueDelivery delivery, CancellationToken ct)
    {
        var attempt = delivery.Attempts + 1;
        var body = Encoding.UTF8.GetBytes(delivery.PayloadJson);
        var headers = await HeadersAsync(delivery, attempt, body, ct);
        var result = await sender.SendAsync(delivery.Url, body, headers, ct);
        var now = clock.GetUtcNow();
        var outcome = WebhookRetryPolicy.Decide(result.StatusCode, result.RetryAfter, attempt, now, Random.Shared.NextDouble() * 2 - 1);
        var label = result.StatusCode is null ? "unreachable" : outcome.Status == DeliveryStatuses.Delivered ? "delivered" : outcome.Status == DeliveryStatuses.Failed ? "failed" : "retry";
        RelayTelemetry.WebhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", label));
        RelayTelemetry.WebhookDuration.Record(result.LatencyMs / 1000.0);
        var endpoint = $"of tenant {delivery.TenantId} to {new Uri(delivery.Url).Authority}";
        if (outcome.Status == DeliveryStatuses.Delivered)
        {
            failures.Succeeded("Webhook delivery", endpoint);
        }
        else
        {
            failures.Failed("Webhook delivery", endpoint, result.Error ?? $"HTTP {result.StatusCode}");
        }
        await store.RecordAsync(delivery,
            new AttemptRecord(attempt, result.StatusCode, result.LatencyMs, result.ResponseExcerpt, result.Error, now), outcome, now, ct);
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
            [Hmac1.SignatureHeader] = string.Join(",", secrets.Select(s => Hmac1.Sign(protector.Unprotect(s, SecretPurpose.TenantSecret(delivery.TenantId)), timestamp, "POST", pathAndQuery, body))),
            ["X-Bloonio-Event-Id"] = delivery.EventId?.ToString() ?? delivery.DeliveryId.ToString(),
            ["X-Bloonio-Event-Type"] = delivery.EventType,
            ["X-Bloonio-Delivery-Attempt"] = attempt.ToString(),
        };
    }
}
