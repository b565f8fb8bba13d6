using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Bloonio.Relay.Bench;

public sealed record Tenant(string TenantId, string Secret, string WidgetKey);

/// <summary>The relay's REST API as the platform admin and as a tenant's backend (HMAC#1) call it.</summary>
public sealed class RelayApi(string baseUrl) : IDisposable
{
    public const string AdminKey = "bench-admin-key-0123456789abcdef";
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = new Uri(baseUrl) };
    private long _nonce;

    public static IReadOnlyDictionary<string, string> Environment(string connectionString, string? redis = null)
    {
        var environment = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Relay"] = connectionString,
            ["Relay__MasterKey"] = Convert.ToBase64String(Key("master")),
            ["Relay__Jwt__SigningKeys"] = "bench=" + Convert.ToBase64String(Key("jwt")),
            ["Relay__AdminApiKey"] = AdminKey,
        };
        if (redis is not null)
        {
            environment["Relay__Redis"] = redis;
        }

        // BENCH_RELAY_<name>=<value> sets <name> for the relay's nodes only (e.g. BENCH_RELAY_Relay__Metrics__Enabled=false).
        foreach (System.Collections.DictionaryEntry variable in System.Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("BENCH_RELAY_", StringComparison.Ordinal))
            {
                environment[name["BENCH_RELAY_".Length..]] = (string)variable.Value!;
            }
        }

        return environment;
    }

    // The same keys on every node of a run.
    private static byte[] Key(string purpose) => SHA256.HashData(Encoding.UTF8.GetBytes("bloonio-bench-" + purpose));

    public async Task<Tenant> CreateTenantAsync(string name, string origin)
    {
        var data = await SendAsync(HttpMethod.Post, "/api/v1/admin/tenants", new { name, allowed_origins = new[] { origin } }, admin: true);
        var tenant = new Tenant(data.GetProperty("tenant_id").GetString()!, data.GetProperty("tenant_secret").GetString()!,
            data.GetProperty("widget_public_key").GetString()!);
        await SendAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            max_concurrent = 100,
            quotas = new
            {
                messages_per_month = 1_000_000_000, concurrent_visitor_connections = 1_000_000, operators = 10_000,
                backend_requests_per_minute = 100_000_000, visitor_messages_per_minute = 1_000_000, widget_sessions_per_minute = 100_000_000,
            },
        }, admin: true);
        return tenant;
    }

    /// <returns>The operator token.</returns>
    public async Task<string> OperatorTokenAsync(Tenant tenant, string email)
    {
        await SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Bench operator" });
        return (await SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .GetProperty("operator_token").GetString()!;
    }

    public async Task<(string SessionId, string Token)> VisitorAsync(Tenant tenant, string user)
    {
        var data = await SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = user, mode = "human" });
        return (data.GetProperty("session_id").GetString()!, data.GetProperty("visitor_token").GetString()!);
    }

    /// <summary>A signed request; a nonce field (ignored by the relay) keeps every signature distinct for the replay cache.</summary>
    public Task<JsonElement> SignedAsync(Tenant tenant, HttpMethod method, string path, object body) =>
        SendAsync(SignedRequest(tenant, method, path, body));

    public HttpRequestMessage SignedRequest(Tenant tenant, HttpMethod method, string path, object body)
    {
        var node = JsonSerializer.SerializeToNode(body, Json)!.AsObject();
        node["n"] = Interlocked.Increment(ref _nonce);
        var bytes = Encoding.UTF8.GetBytes(node.ToJsonString());
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Add("X-Bloonio-Tenant-Id", tenant.TenantId);
        request.Headers.Add("X-Bloonio-Timestamp", timestamp.ToString());
        request.Headers.Add("X-Bloonio-Signature", Hmac1Signer.Sign(tenant.Secret, method.Method, path, bytes, timestamp));
        return request;
    }

    public HttpRequestMessage WidgetSessionRequest(Tenant tenant, string origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent("""{"mode":"human"}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", tenant.WidgetKey);
        request.Headers.Add("Origin", origin);
        return request;
    }

    public HttpClient Http => _http;

    private Task<JsonElement> SendAsync(HttpMethod method, string path, object body, bool admin)
    {
        var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body, options: Json) };
        if (admin)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        }

        return SendAsync(request);
    }

    private async Task<JsonElement> SendAsync(HttpRequestMessage request)
    {
        using var response = await _http.SendAsync(request);
        var envelope = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{request.Method} {request.RequestUri}: {(int)response.StatusCode} {envelope}");
        }

        return envelope.GetProperty("data").Clone();
    }

    public void Dispose() => _http.Dispose();
}
