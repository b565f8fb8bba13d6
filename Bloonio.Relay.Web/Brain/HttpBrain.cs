using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Web.Configuration;
using Bloonio.Relay.Web.Http;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Brain;

/// <summary>
/// bloonio_chat_api over HMAC#2 (SPEC 9): the HMAC#1 recipe keyed with <c>Relay:Brain:Secret</c>, headers
/// <c>X-Relay-Key-Id</c>, <c>X-Relay-Timestamp</c>, <c>X-Relay-Signature</c>. Failures surface as
/// <see cref="BrainUnavailableException"/> after one retry; after 5 failures in a row the circuit opens for 30 s and
/// calls fail at once (the bot lane then escalates, the outbox retries persistence later).
/// </summary>
public sealed class HttpBrain(HttpClient http, IOptions<RelayOptions> options, TimeProvider clock) : IBrain
{
    private const int FailuresToOpen = 5;
    private static readonly TimeSpan OpenFor = TimeSpan.FromSeconds(30);
    private int _consecutiveFailures;
    private long _openUntilTicks;

    public string Name => "brain " + http.BaseAddress;

    public async Task<BrainReply> ReplyAsync(BrainReplyRequest r, CancellationToken ct)
    {
        var body = new
        {
            tenant_id = r.TenantId,
            message = new { message_id = r.MessageId, seq = r.Seq, text = r.Text },
            visitor = new { visitor_id = r.Visitor.VisitorId, display_name = r.Visitor.DisplayName, email = r.Visitor.Email },
            routing_key = r.RoutingKey,
            metadata = new { },
        };
        var reply = await PostAsync<ReplyResponse>(r.TenantId, $"/internal/v1/sessions/{r.SessionId}/reply", body, ct);
        return new BrainReply(reply.Reply?.Text, reply.Reply?.Sources?.Select(s => new BrainSource(s.Title ?? "", s.Url)).ToList() ?? [],
            reply.Escalate, reply.EscalateReason);
    }

    public async Task<string> CreateTicketAsync(TicketRequest r, CancellationToken ct)
    {
        var body = new
        {
            tenant_id = r.TenantId, session_id = r.SessionId, reason = r.Reason, routing_key = r.RoutingKey,
            visitor = new { visitor_id = r.Visitor.VisitorId, display_name = r.Visitor.DisplayName, email = r.Visitor.Email },
            transcript_tail = r.TranscriptTail,
        };
        return (await PostAsync<TicketResponse>(r.TenantId, "/internal/v1/tickets", body, ct)).TicketId
            ?? throw new BrainUnavailableException("The brain answered without a ticket_id");
    }

    public async Task PersistAsync(Guid tenantId, Guid sessionId, IReadOnlyList<PersistedMessage> messages, CancellationToken ct) =>
        await PostAsync<System.Text.Json.JsonElement>(tenantId, $"/internal/v1/sessions/{sessionId}/messages", new
        {
            tenant_id = tenantId,
            messages = messages.Select(m => new
            {
                message_id = m.MessageId, seq = m.Seq, sender = new { type = m.SenderType, id = m.SenderId }, text = m.Text, created_at = m.CreatedAt,
            }),
        }, ct);

    /// <summary>One retry after a connection failure or a 5xx (not after a time-out: the caller's budget is spent).</summary>
    private async Task<T> PostAsync<T>(Guid tenantId, string path, object body, CancellationToken ct)
    {
        try
        {
            return await PostOnceAsync<T>(tenantId, path, body, ct);
        }
        catch (BrainUnavailableException ex) when (ex.InnerException is HttpRequestException && !IsOpen)
        {
            return await PostOnceAsync<T>(tenantId, path, body, ct);
        }
    }

    private bool IsOpen => clock.GetUtcNow().UtcTicks < Interlocked.Read(ref _openUntilTicks);

    private async Task<T> PostOnceAsync<T>(Guid tenantId, string path, object body, CancellationToken ct)
    {
        if (IsOpen)
        {
            throw new BrainUnavailableException("The brain's circuit is open after repeated failures");
        }

        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, RelayJson.Options));
        var timestamp = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString();
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        var brain = options.Value.Brain;
        request.Headers.Add("X-Relay-Key-Id", brain.KeyId ?? "relay");
        request.Headers.Add("X-Relay-Timestamp", timestamp);
        request.Headers.Add("X-Relay-Signature", Hmac1.Sign(brain.Secret ?? "", timestamp, "POST", new Uri(http.BaseAddress!, path).PathAndQuery, bytes));
        request.Headers.Add(Hmac1.TenantIdHeader, tenantId.ToString());
        try
        {
            using var response = await http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            var result = await response.Content.ReadFromJsonAsync<T>(RelayJson.Options, ct)
                ?? throw new BrainUnavailableException("The brain answered an empty body");
            Interlocked.Exchange(ref _consecutiveFailures, 0);
            return result;
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            if (Interlocked.Increment(ref _consecutiveFailures) >= FailuresToOpen)
            {
                Interlocked.Exchange(ref _openUntilTicks, (clock.GetUtcNow() + OpenFor).UtcTicks);
            }

            throw new BrainUnavailableException($"The brain failed on {path}", ex);
        }
    }

    private sealed record ReplyResponse(ReplyBody? Reply, bool Escalate, string? EscalateReason);

    private sealed record ReplyBody(string? Text, List<SourceBody>? Sources);

    private sealed record SourceBody(string? Title, string? Url);

    private sealed record TicketResponse(string? TicketId);
}
