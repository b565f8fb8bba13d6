using System.Collections.Concurrent;
using System.Text.Json;
using Bloonio.Relay.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// A tenant's webhook endpoint on Kestrel (loopback). It verifies the HMAC#1 signature of every request against the
/// secrets it knows (each listed signature that matches is recorded) and answers what the test says.
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;

    public sealed record Received(JsonElement Body, string EventId, string EventType, int Attempt, IReadOnlyList<string> ValidSecrets, int SignatureCount);

    public ConcurrentQueue<Received> Requests { get; } = new();

    public int BadSignatures;

    /// <summary>Secrets that may have signed (the tenant's current secret, and a previous one during a rotation).</summary>
    public List<string> Secrets { get; } = [];

    /// <summary>The status to answer (200 by default) and an optional Retry-After.</summary>
    public int Status { get; set; } = 200;

    public int? RetryAfterSeconds { get; set; }

    public Uri Url { get; private set; } = null!;

    private WebhookReceiver(WebApplication app) => _app = app;

    public static async Task<WebhookReceiver> StartAsync()
    {
        var app = LoopbackApp.Create();
        var receiver = new WebhookReceiver(app);
        app.MapPost("/hooks/bloonio", (Func<HttpContext, Task<IResult>>)receiver.HandleAsync);
        receiver.Url = new Uri(await LoopbackApp.StartAsync(app), "/hooks/bloonio?source=relay");
        return receiver;
    }

    private async Task<IResult> HandleAsync(HttpContext http)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var bytes = buffer.ToArray();
        var headers = http.Request.Headers;
        var timestamp = headers[Hmac1.TimestampHeader].ToString();
        var presented = Hmac1.ParseSignatures(headers[Hmac1.SignatureHeader]) ?? [];
        var target = http.Request.Path + http.Request.QueryString;
        var valid = Secrets.Where(secret =>
        {
            var expected = Hmac1.Compute(secret, Hmac1.Canonical(timestamp, "POST", target, Hmac1.BodyHash(bytes)));
            return Hmac1.Matches(presented, [expected]);
        }).ToList();
        if (valid.Count == 0)
        {
            Interlocked.Increment(ref BadSignatures);
            return Results.StatusCode(401);
        }

        Requests.Enqueue(new Received(JsonDocument.Parse(bytes).RootElement.Clone(), headers["X-Bloonio-Event-Id"].ToString(),
            headers["X-Bloonio-Event-Type"].ToString(), int.Parse(headers["X-Bloonio-Delivery-Attempt"].ToString()), valid, presented.Count));
        if (RetryAfterSeconds is { } seconds)
        {
            http.Response.Headers.RetryAfter = seconds.ToString();
        }

        return Status == 200 ? Results.Json(new { ok = true }) : Results.StatusCode(Status);
    }

    public async ValueTask DisposeAsync() => await LoopbackApp.StopAsync(_app);
}
