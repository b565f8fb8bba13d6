using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Core.Security;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Infrastructure;

public sealed record TestTenant(Guid TenantId, string Secret, string WidgetKey);

/// <summary>A response read as the contract describes it: the envelope's fields and the headers.</summary>
public sealed record ApiResponse(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers, string Raw)
{
    public int StatusCode => Body.GetProperty("status_code").GetInt32();
    public string Message => Body.GetProperty("message").GetString()!;
    public string? ErrorCode => Body.TryGetProperty("error_code", out var c) ? c.GetString() : null;
    public JsonElement Data => Body.GetProperty("data");

    public IReadOnlyList<string> ErrorFields =>
        Body.TryGetProperty("errors", out var e) ? e.EnumerateArray().Select(x => x.GetProperty("field").GetString()!).ToList() : [];

    /// <summary>Asserts the envelope agrees with the HTTP status and carries the expected error code.</summary>
    public ApiResponse ShouldBe(int status, string? errorCode = null)
    {
        Assert.That((int)Status, Is.EqualTo(status), Raw);
        Assert.That(StatusCode, Is.EqualTo(status), "status_code must equal the HTTP status");
        Assert.That(Body.TryGetProperty("data", out _), Is.True, "the envelope always has data");
        Assert.That(ErrorCode, Is.EqualTo(errorCode), Raw);
        return this;
    }

    /// <summary>200 or 201 (an idempotent call that may create or refresh).</summary>
    public ApiResponse ShouldBeSuccess() => ShouldBe((int)Status is 200 or 201 ? (int)Status : 200);
}

/// <summary>Speaks to the relay as a tenant backend (HMAC#1) or the platform admin would.</summary>
public sealed class RelayApi
{
    public static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly TimeProvider _clock;

    public RelayApi(RelayFactory factory)
    {
        (Factory, Http, _clock) = (factory, factory.CreateClient(), factory.Clock);
    }

    /// <summary>For a relay running as a process (fault tests): real HTTP, the real clock.</summary>
    public RelayApi(Uri baseUrl)
    {
        (Factory, Http, _clock) = (null!, new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) }, TimeProvider.System);
    }

    public HttpClient Http { get; }

    public RelayFactory Factory { get; }

    public async Task<TestTenant> CreateTenantAsync(string? name = null)
    {
        var response = await AdminAsync(HttpMethod.Post, "/api/v1/admin/tenants",
            new { name = name ?? "Tenant " + Guid.NewGuid().ToString("N")[..8], allowed_origins = new[] { "https://shop.example.com" } });
        response.ShouldBe(201);
        return new TestTenant(Guid.Parse(response.Data.GetProperty("tenant_id").GetString()!),
            response.Data.GetProperty("tenant_secret").GetString()!, response.Data.GetProperty("widget_public_key").GetString()!);
    }

    public Task<ApiResponse> AdminAsync(HttpMethod method, string path, object? body = null, string? key = RelayFactory.AdminApiKey)
    {
        var request = new HttpRequestMessage(method, path) { Content = Content(body) };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return SendAsync(request);
    }

    /// <summary>A request signed with HMAC#1; <paramref name="tweak"/> may then break any part of it.</summary>
    public Task<ApiResponse> SignedAsync(
        TestTenant tenant, HttpMethod method, string path, object? body = null, long? timestampMs = null, string? secret = null,
        Action<HttpRequestMessage>? tweak = null)
    {
        var bytes = body is null ? [] : Bytes(body);
        var timestamp = (timestampMs ?? _clock.GetUtcNow().ToUnixTimeMilliseconds()).ToString();
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(bytes) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
        }

        request.Headers.Add(Hmac1.TenantIdHeader, tenant.TenantId.ToString());
        request.Headers.Add(Hmac1.TimestampHeader, timestamp);
        request.Headers.Add(Hmac1.SignatureHeader, Hmac1.Sign(secret ?? tenant.Secret, timestamp, method.Method, path, bytes));
        tweak?.Invoke(request);
        return SendAsync(request);
    }

    /// <summary>A POST of any content (a multipart upload, say), signed with HMAC#1 over its exact bytes.</summary>
    public async Task<ApiResponse> SignedMultipartAsync(TestTenant tenant, string path, HttpContent content)
    {
        var bytes = await content.ReadAsByteArrayAsync();
        var timestamp = _clock.GetUtcNow().ToUnixTimeMilliseconds().ToString();
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
        request.Content.Headers.ContentType = content.Headers.ContentType;
        request.Headers.Add(Hmac1.TenantIdHeader, tenant.TenantId.ToString());
        request.Headers.Add(Hmac1.TimestampHeader, timestamp);
        request.Headers.Add(Hmac1.SignatureHeader, Hmac1.Sign(tenant.Secret, timestamp, "POST", path, bytes));
        return await SendAsync(request);
    }

    /// <summary>POST /widget/sessions as the tenant's widget on its allowed origin (https://shop.example.com).</summary>
    public Task<ApiResponse> WidgetSessionAsync(TestTenant tenant, string mode = "human")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/sessions")
        {
            Content = new StringContent(JsonSerializer.Serialize(new { mode }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        return SendAsync(request);
    }

    public async Task<ApiResponse> SendAsync(HttpRequestMessage request)
    {
        using var response = await Http.SendAsync(request);
        var raw = await response.Content.ReadAsStringAsync();
        JsonElement body;
        try
        {
            body = JsonDocument.Parse(raw).RootElement.Clone();
        }
        catch (JsonException)
        {
            Assert.Fail($"{(int)response.StatusCode}: the response is not JSON: {raw}");
            throw;
        }

        return new ApiResponse(response.StatusCode, body, response.Headers, raw);
    }

    public static byte[] Bytes(object body) =>
        body as byte[] ?? Encoding.UTF8.GetBytes(body as string ?? JsonSerializer.Serialize(body, SnakeCase));

    private static HttpContent? Content(object? body) =>
        body is null ? null : new ByteArrayContent(Bytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
}
