using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Faults;

/// <summary>
/// A node that stops (the host's graceful stop, what SIGTERM triggers) closes every hub connection with SignalR's close
/// message allowing reconnection and then a WebSocket close frame — no dropped socket (1006) — and the official client
/// starts reconnecting at once, told why.
/// </summary>
[NonParallelizable]
public sealed class GracefulShutdownTests
{
    [Test]
    public async Task StoppingClosesEveryConnectionWithACloseFrameAndAnInvitationToReconnect()
    {
        var relay = new RelayFactory();
        var stopped = false;
        try
        {
            var url = new Uri(relay.StartOnKestrel());
            var api = new RelayApi(relay);
            var tenant = await api.CreateTenantAsync();
            var token = await VisitorTokenAsync(api, tenant);

            // A raw WebSocket speaking SignalR's JSON protocol, to see the frames themselves.
            using var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri($"ws://{url.Authority}/hubs/visitor?access_token={Uri.EscapeDataString(token)}"), default);
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"protocol\":\"json\",\"version\":1}\u001e"), WebSocketMessageType.Text, true, default);
            Assert.That(await ReceiveTextAsync(socket), Does.StartWith("{}"), "handshake accepted");

            await using var client = HubConnections.ForUrl(url, "/hubs/visitor", token, HttpTransportType.WebSockets,
                configure: b => b.WithAutomaticReconnect([TimeSpan.FromMinutes(1)]));
            var reconnecting = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            client.Reconnecting += e =>
            {
                reconnecting.TrySetResult(e);
                return Task.CompletedTask;
            };
            await client.StartReadyAsync("/hubs/visitor");

            var stopping = relay.DisposeAsync().AsTask();
            stopped = true;

            var closeMessages = new List<string>();
            while (true)
            {
                var frame = await ReceiveAsync(socket).WaitAsync(TimeSpan.FromSeconds(20));
                if (frame.Type == WebSocketMessageType.Close)
                {
                    Assert.That(frame.Status, Is.Not.Null, "a close frame, not a dropped socket");
                    break;
                }

                foreach (var message in frame.Text.Split('\u001e', StringSplitOptions.RemoveEmptyEntries))
                {
                    using var json = JsonDocument.Parse(message);
                    if (json.RootElement.GetProperty("type").GetInt32() == 7)
                    {
                        closeMessages.Add(message);
                    }
                }
            }

            Assert.That(closeMessages.FirstOrDefault(), Does.Contain("\"allowReconnect\":true").And.Contain("shutting down"),
                "the first close message invites the client to reconnect: " + string.Join(" ", closeMessages));
            var reason = await reconnecting.Task.WaitAsync(TimeSpan.FromSeconds(20));
            Assert.That(reason?.Message, Does.Contain("unavailable: this node is shutting down"), "the official client reconnects, told why");
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!stopped)
            {
                await relay.DisposeAsync();
            }
        }
    }

    private static async Task<string> VisitorTokenAsync(RelayApi api, TestTenant tenant) =>
        (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;

    private static async Task<string> ReceiveTextAsync(ClientWebSocket socket) => (await ReceiveAsync(socket)).Text;

    private static async Task<(WebSocketMessageType Type, string Text, WebSocketCloseStatus? Status)> ReceiveAsync(ClientWebSocket socket)
    {
        var buffer = new byte[16 * 1024];
        using var text = new MemoryStream();
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer, default);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return (result.MessageType, "", result.CloseStatus);
            }

            text.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return (result.MessageType, Encoding.UTF8.GetString(text.ToArray()), null);
            }
        }
    }
}
