using System.Net.Http.Json;
using System.Text.Json;

namespace Bloonio.Relay.SdkExample;

/// <summary>
/// Stands in for your backend: in a real app this runs on your server, behind your own sign-in, and the app only ever
/// sees the visitor token it returns. It signs its calls with HMAC#1 (docs/signers/Hmac1Signer.cs).
/// </summary>
public sealed class TenantBackend(Uri relay, string tenantId, string tenantSecret) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly HttpClient _http = new(new Hmac1SigningHandler(tenantId, tenantSecret) { InnerHandler = new HttpClientHandler() })
    {
        BaseAddress = relay,
    };

    public async Task<VisitorSession> FetchVisitorTokenAsync(string externalUserId, string displayName, CancellationToken ct)
    {
        var response = await _http.PostAsJsonAsync("/api/v1/relay/fetch/visitor-token",
            new { external_user_id = externalUserId, display_name = displayName, mode = "bot" }, Json, ct);
        return await DataAsync<VisitorSession>(response, ct);
    }

    /// <returns>The message's seq.</returns>
    public async Task<int> PostSystemMessageAsync(Guid sessionId, string text, CancellationToken ct)
    {
        var response = await _http.PostAsJsonAsync($"/api/v1/relay/sessions/{sessionId}/messages",
            new { text, client_message_id = Guid.NewGuid().ToString(), sender = new { type = "system" } }, Json, ct);
        return (await DataAsync<JsonElement>(response, ct)).GetProperty("seq").GetInt32();
    }

    public void Dispose() => _http.Dispose();

    /// <summary>Every answer is the envelope {status_code, data, message, error_code?}.</summary>
    private static async Task<T> DataAsync<T>(HttpResponseMessage response, CancellationToken ct)
    {
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>(Json, ct);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"{(int)response.StatusCode} {envelope.GetProperty("message").GetString()}");
        }

        return envelope.GetProperty("data").Deserialize<T>(Json)!;
    }
}

/// <summary>What the relay answers (expires_at in unix seconds); your backend hands it to the app.</summary>
public sealed record VisitorSession(Guid SessionId, string VisitorToken, string HubUrl, string Mode, long ExpiresAt);
