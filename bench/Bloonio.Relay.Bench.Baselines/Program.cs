using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR;

// B1: /b1?pair=N&role=visitor|operator — Send({client_message_id, text}) answers an ack and forwards a `message` event
// shaped like the relay's to the pair's other side (a group), as the relay does, but stores nothing.
// B2: /b2?pair=N&role=… — a raw WebSocket; every text frame is forwarded to the pair's other side.
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
builder.Services.AddSignalR(o => o.MaximumReceiveMessageSize = 32 * 1024)
    .AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
builder.Services.AddSingleton<Pairs>();
var app = builder.Build();
app.UseWebSockets();
app.MapHub<BareHub>("/b1");
app.Map("/b2", async (HttpContext context, Pairs pairs) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = 400;
        return;
    }

    var key = $"{context.Request.Query["pair"]}";
    var role = context.Request.Query["role"].ToString();
    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var ends = pairs.Sockets.GetOrAdd(key, _ => new Peer?[2]);
    ends[role == "visitor" ? 0 : 1] = new Peer(socket);
    var buffer = new byte[8192];
    while (socket.State == WebSocketState.Open)
    {
        var received = await socket.ReceiveAsync(buffer, context.RequestAborted);
        if (received.MessageType == WebSocketMessageType.Close)
        {
            break;
        }

        if (ends[role == "visitor" ? 1 : 0] is { Socket.State: WebSocketState.Open } other)
        {
            await other.Sending.WaitAsync();
            try
            {
                await other.Socket.SendAsync(buffer.AsMemory(0, received.Count), WebSocketMessageType.Text, received.EndOfMessage, default);
            }
            finally
            {
                other.Sending.Release();
            }
        }
    }
});
app.MapGet("/healthz", () => "ok");
app.Run();

public sealed record Peer(WebSocket Socket)
{
    public SemaphoreSlim Sending { get; } = new(1, 1);
}

public sealed class Pairs
{
    public ConcurrentDictionary<string, Peer?[]> Sockets { get; } = new();
    public ConcurrentDictionary<string, int> Seqs { get; } = new();
}

public sealed record SendArgs(string? ClientMessageId, string? Text, Guid? SessionId = null);

public sealed class BareHub(Pairs pairs) : Hub
{
    private string Pair => Context.GetHttpContext()!.Request.Query["pair"].ToString();
    private string Role => Context.GetHttpContext()!.Request.Query["role"].ToString();

    public override Task OnConnectedAsync() => Groups.AddToGroupAsync(Context.ConnectionId, $"{Pair}:{Role}");

    public async Task<object> Send(SendArgs args)
    {
        var seq = pairs.Seqs.AddOrUpdate(Pair, 1, (_, s) => s + 1);
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        var other = Role == "visitor" ? "operator" : "visitor";
        await Clients.Group($"{Pair}:{other}").SendAsync("message", new
        {
            message_id = id, session_id = args.SessionId ?? Guid.Empty, seq, sender = new { type = Role, id = (Guid?)null, display_name = "x" },
            text = args.Text, created_at = now, client_message_id = args.ClientMessageId,
        });
        return new { message_id = id, seq, created_at = now };
    }
}
