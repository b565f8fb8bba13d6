using System.Collections.Concurrent;
using System.Text.Json;
using Bloonio.Relay.Core.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// The other side of the network boundary: a brain on Kestrel (loopback) that verifies HMAC#2 on every request
/// (key id, timestamp window, signature over the raw body) and answers as the test says.
/// </summary>
public sealed class FakeBrain : IAsyncDisposable
{
    public const string KeyId = "relay-test";
    public const string Secret = "brain-secret-for-tests-0123456789";

    private readonly WebApplication _app;

    public enum Behaviour { Answer, Escalate, Slow, Fail }

    public Behaviour Mode { get; set; } = Behaviour.Answer;

    /// <summary>When true, persistence calls answer 503 (the relay must keep the batch and retry).</summary>
    public bool PersistenceDown { get; set; }

    public ConcurrentQueue<(string Path, JsonElement Body)> Received { get; } = new();

    public int BadSignatures;

    public Uri BaseUrl { get; private set; } = null!;

    private FakeBrain(WebApplication app) => _app = app;

    public static async Task<FakeBrain> StartAsync()
    {
        var app = LoopbackApp.Create();
        var brain = new FakeBrain(app);
        // Typed as Func<…, Task<IResult>>: a plain HttpContext lambda would bind as a RequestDelegate and drop the result.
        app.MapPost("/internal/v1/sessions/{sessionId:guid}/reply", (Func<HttpContext, Task<IResult>>)(http =>
            brain.HandleAsync(http, body => brain.Mode switch
            {
                Behaviour.Escalate => Results.Json(new { reply = new { text = "Passing you to a colleague." }, escalate = true, escalate_reason = "policy" }),
                _ => Results.Json(new { reply = new { text = "Brain says: " + body.GetProperty("message").GetProperty("text").GetString(), sources = new[] { new { title = "KB", url = "https://kb.example.com/1" } } }, escalate = false }),
            })));
        app.MapPost("/internal/v1/sessions/{sessionId:guid}/messages", (Func<HttpContext, Task<IResult>>)(http =>
            brain.HandleAsync(http, _ => brain.PersistenceDown ? Results.StatusCode(503) : Results.Json(new { stored = true }), persistence: true)));
        app.MapPost("/internal/v1/tickets", (Func<HttpContext, Task<IResult>>)(http =>
            brain.HandleAsync(http, _ => Results.Json(new { ticket_id = "T-" + Guid.NewGuid().ToString("N")[..8] }))));
        brain.BaseUrl = await LoopbackApp.StartAsync(app);
        return brain;
    }

    private async Task<IResult> HandleAsync(HttpContext http, Func<JsonElement, IResult> answer, bool persistence = false)
    {
        using var buffer = new MemoryStream();
        await http.Request.Body.CopyToAsync(buffer);
        var bytes = buffer.ToArray();
        var request = http.Request;
        var timestamp = request.Headers["X-Relay-Timestamp"].ToString();
        var expected = Hmac1.Sign(Secret, timestamp, request.Method, request.Path + request.QueryString, bytes);
        var fresh = long.TryParse(timestamp, out var ms) && Math.Abs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - ms) <= 300_000;
        if (request.Headers["X-Relay-Key-Id"] != KeyId || request.Headers["X-Relay-Signature"] != expected || !fresh
            || !Guid.TryParse(request.Headers["X-Bloonio-Tenant-Id"], out _))
        {
            Interlocked.Increment(ref BadSignatures);
            return Results.StatusCode(401);
        }

        var body = JsonDocument.Parse(bytes).RootElement.Clone();
        Received.Enqueue((request.Path, body));
        switch (persistence ? Behaviour.Answer : Mode)
        {
            case Behaviour.Slow:
                // Never answers: the relay's time-out has to end the call.
                await new TaskCompletionSource().Task.WaitAsync(http.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
                return Results.StatusCode(504);
            case Behaviour.Fail:
                return Results.StatusCode(503);
        }

        return answer(body);
    }

    public async ValueTask DisposeAsync() => await LoopbackApp.StopAsync(_app);
}
