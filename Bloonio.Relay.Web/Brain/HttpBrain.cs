using Bloonio.Relay.Core.Common;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Brain;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Web.Configuration;
using Bloonio.Relay.Web.Http;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Bloonio.Relay.Web.Brain;

/// <summary>
/// bloonio_chat_api over HMAC#2 (SPEC 9): the HMAC#1 recipe keyed with <c>Relay:Brain:Secret</c>, headers
/// <c>X-Relay-Key-Id</c>, <c>X-Relay-Timestamp</c>, <c>X-Relay-Signature</c>. Time-out, retry and circuit breaker are
/// the client's resilience pipeline (<see cref="BrainCircuit"/>, one per node); every failure surfaces as
/// <see cref="BrainUnavailableException"/> (the bot lane then escalates, the outbox retries persistence later).
/// </summary>
public sealed class HttpBrain(HttpClient http, BrainFailures failures) : IBrain
{
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
        var reply = await PostAsync<ReplyResponse>("reply", r.TenantId, $"/internal/v1/sessions/{r.SessionId}/reply", body, ct);
        // The brain is another service: what it says is cleaned to what the journal can hold (no control characters).
        return new BrainReply(TextPolicy.Clean(reply.Reply?.Text, multiline: true),
            reply.Reply?.Sources?.Select(s => new BrainSource(TextPolicy.Clean(s.Title, multiline: false) ?? "", TextPolicy.Clean(s.Url, multiline: false))).ToList() ?? [],
            reply.Escalate, reply.EscalateReason,
            reply.Reply?.QuickReplies?.Where(q => !string.IsNullOrWhiteSpace(q.Label))
                .Select(q => new Core.Sessions.QuickReply(TextPolicy.Clean(q.Label, multiline: false)!, TextPolicy.Clean(q.Value, multiline: false))).ToList());
    }

    public async Task<string> CreateTicketAsync(TicketRequest r, CancellationToken ct)
    {
        var body = new
        {
            tenant_id = r.TenantId, session_id = r.SessionId, reason = r.Reason, routing_key = r.RoutingKey,
            visitor = new { visitor_id = r.Visitor.VisitorId, display_name = r.Visitor.DisplayName, email = r.Visitor.Email },
            transcript_tail = r.TranscriptTail,
        };
        return (await PostAsync<TicketResponse>("ticket", r.TenantId, "/internal/v1/tickets", body, ct)).TicketId
            ?? throw new BrainUnavailableException("The brain answered without a ticket_id");
    }

    public async Task PersistAsync(Guid tenantId, Guid sessionId, IReadOnlyList<PersistedMessage> messages, CancellationToken ct) =>
        await PostAsync<System.Text.Json.JsonElement>("persist", tenantId, $"/internal/v1/sessions/{sessionId}/messages", new
        {
            tenant_id = tenantId,
            messages = messages.Select(m => new
            {
                message_id = m.MessageId, seq = m.Seq, sender = new { type = m.SenderType, id = m.SenderId }, text = m.Text, created_at = m.CreatedAt,
            }),
        }, ct);

    /// <summary>One call: measured (<c>relay.brain.calls</c>, <c>relay.brain.call.duration</c>), failures logged once per burst.</summary>
    private async Task<T> PostAsync<T>(string operation, Guid tenantId, string path, object body, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var outcome = "failed";
        try
        {
            var result = await SendAsync<T>(tenantId, path, body, ct);
            outcome = "ok";
            failures.Succeeded("Brain", operation);
            return result;
        }
        catch (BrainUnavailableException ex)
        {
            outcome = ex.InnerException is BrokenCircuitException ? "circuit_open" : "failed";
            failures.Failed("Brain", operation, ex.InnerException?.Message ?? ex.Message);
            throw;
        }
        finally
        {
            var operationTag = new KeyValuePair<string, object?>("operation", operation);
            RelayTelemetry.BrainCalls.Add(1, operationTag, new KeyValuePair<string, object?>("outcome", outcome));
            RelayTelemetry.BrainDuration.Record(clock.Elapsed.TotalSeconds, operationTag);
        }
    }

    private async Task<T> SendAsync<T>(Guid tenantId, string path, object body, CancellationToken ct)
    {
        var bytes = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(body, RelayJson.Options));
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(Hmac1.TenantIdHeader, tenantId.ToString());
        request.Options.Set(SignedBody, bytes);
        try
        {
            using var response = await http.SendAsync(request, ct);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync<T>(RelayJson.Options, ct)
                ?? throw new BrainUnavailableException("The brain answered an empty body");
        }
        catch (BrokenCircuitException ex)
        {
            throw new BrainUnavailableException("The brain's circuit is open after repeated failures", ex);
        }
        catch (Exception ex) when (ex is HttpRequestException or JsonException or TimeoutRejectedException
                                       || ex is TaskCanceledException && !ct.IsCancellationRequested)
        {
            throw new BrainUnavailableException($"The brain failed on {path}", ex);
        }
    }

    /// <summary>The body of a request, for the signing handler (each attempt is signed at its own time).</summary>
    internal static readonly HttpRequestOptionsKey<byte[]> SignedBody = new("relay.brain.body");

    private sealed record ReplyResponse(ReplyBody? Reply, bool Escalate, string? EscalateReason);

    private sealed record ReplyBody(string? Text, List<SourceBody>? Sources, List<QuickReplyBody>? QuickReplies);

    private sealed record QuickReplyBody(string? Label, string? Value);

    private sealed record SourceBody(string? Title, string? Url);

    private sealed record TicketResponse(string? TicketId);
}

/// <summary>
/// Signs each attempt (HMAC#2) at the moment it is sent: it runs inside the resilience pipeline, so a retry carries
/// its own timestamp and signature (a brain with a replay cache would refuse a second send of the first).
/// </summary>
public sealed class BrainSigningHandler(IOptions<RelayOptions> options, TimeProvider clock) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Options.TryGetValue(HttpBrain.SignedBody, out var bytes) ? bytes : [];
        var brain = options.Value.Brain;
        var timestamp = clock.GetUtcNow().ToUnixTimeMilliseconds().ToString();
        foreach (var header in new[] { "X-Relay-Key-Id", "X-Relay-Timestamp", "X-Relay-Signature" })
        {
            request.Headers.Remove(header);
        }

        request.Headers.Add("X-Relay-Key-Id", brain.KeyId ?? "relay");
        request.Headers.Add("X-Relay-Timestamp", timestamp);
        request.Headers.Add("X-Relay-Signature", Hmac1.Sign(brain.Secret ?? "", timestamp, request.Method.Method, request.RequestUri!.PathAndQuery, body));
        return base.SendAsync(request, cancellationToken);
    }
}
