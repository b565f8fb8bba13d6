namespace Bloonio.Relay.Core.Webhooks;

public sealed record SendResult(int? StatusCode, TimeSpan? RetryAfter, string? ResponseExcerpt, string? Error, int LatencyMs);

/// <summary>POSTs one webhook (10 s, no redirects, SSRF-checked connection, response capped); never throws for the remote's failures.</summary>
public interface IWebhookSender
{
    Task<SendResult> SendAsync(string url, byte[] body, IReadOnlyDictionary<string, string> headers, CancellationToken ct);
}
