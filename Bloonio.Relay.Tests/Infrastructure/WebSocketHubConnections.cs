using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Bloonio.Relay.Tests.Infrastructure;

// Only Microsoft.AspNetCore.SignalR.Client.Core restores here, so hub tests bring their own transport: a WebSocket
// opened straight on the hub path. The server accepts that without a negotiate (the client's skipNegotiation path).
public sealed class WebSocketConnectionFactory(Func<Uri, CancellationToken, Task<WebSocket>> connect) : IConnectionFactory
{
    public async ValueTask<ConnectionContext> ConnectAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var uri = endpoint is UriEndPoint uriEndPoint
            ? uriEndPoint.Uri
            : throw new NotSupportedException($"Expected a {nameof(UriEndPoint)}, got {endpoint.GetType().Name}.");
        return new WebSocketConnection(await connect(uri, cancellationToken));
    }

    private sealed class WebSocketConnection : ConnectionContext, IDuplexPipe
    {
        private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(5);

        private readonly WebSocket _socket;
        private readonly Pipe _input = new(); // socket -> hub connection
        private readonly Pipe _output = new(); // hub connection -> socket
        private readonly CancellationTokenSource _stopping = new();
        private readonly Task _pumping;
        private Exception? _abortReason;
        private volatile bool _sendingMessage;

        public WebSocketConnection(WebSocket socket)
        {
            _socket = socket;
            Transport = this;
            _pumping = PumpAsync();
        }

        public override string ConnectionId { get; set; } = Guid.NewGuid().ToString("N");

        public override IFeatureCollection Features { get; } = new FeatureCollection();

        public override IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();

        public override IDuplexPipe Transport { get; set; }

        PipeReader IDuplexPipe.Input => _input.Reader;

        PipeWriter IDuplexPipe.Output => _output.Writer;

        public override void Abort(ConnectionAbortedException abortReason)
        {
            _abortReason ??= abortReason;
            _stopping.Cancel();
            _output.Reader.CancelPendingRead();
        }

        public override async ValueTask DisposeAsync()
        {
            // No more writes: the send loop sends a close frame and the server's answering close ends the receive loop.
            await _output.Writer.CompleteAsync();
            await _input.Reader.CompleteAsync();
            _stopping.CancelAfter(CloseTimeout); // a send stuck on a server that stopped reading
            await _pumping;
        }

        private async Task PumpAsync()
        {
            var receiving = ReceiveAsync();
            var sending = SendAsync();
            if (await Task.WhenAny(receiving, sending) == receiving)
            {
                if (_sendingMessage)
                {
                    _stopping.Cancel(); // the server is gone: nobody will read the rest of this message
                }
                else
                {
                    _output.Reader.CancelPendingRead(); // the send loop answers the server's close and ends
                }
            }

            _stopping.CancelAfter(CloseTimeout); // whatever still waits on the other side is aborted then
            await Task.WhenAll(receiving, sending); // neither throws
            _stopping.Cancel(); // also drops the close timer
            _socket.Dispose();
        }

        private async Task ReceiveAsync()
        {
            Exception? error = null;
            try
            {
                while (true)
                {
                    // Frames are copied as they come: the hub protocol finds message ends (0x1E) itself.
                    var result = await _socket.ReceiveAsync(_input.Writer.GetMemory(4096), _stopping.Token);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        if (_socket.CloseStatus != WebSocketCloseStatus.NormalClosure)
                        {
                            error = new WebSocketException($"Closed by the server: {_socket.CloseStatus} {_socket.CloseStatusDescription}");
                        }

                        break;
                    }

                    _input.Writer.Advance(result.Count);
                    if ((await _input.Writer.FlushAsync(_stopping.Token)).IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (Exception exception)
            {
                // Once stopping, the socket's complaints are our own doing; before, they are the connection's end.
                error = _stopping.IsCancellationRequested ? _abortReason : exception;
            }

            await _input.Writer.CompleteAsync(error);
        }

        private async Task SendAsync()
        {
            Exception? error = null;
            try
            {
                while (true)
                {
                    var result = await _output.Reader.ReadAsync(_stopping.Token);
                    var buffer = result.Buffer;
                    try
                    {
                        if (result.IsCanceled)
                        {
                            break;
                        }

                        // One text message per flush; the server, like this client, reads the frames as a stream.
                        _sendingMessage = true;
                        var remaining = buffer.Length;
                        foreach (var segment in buffer)
                        {
                            remaining -= segment.Length;
                            if (!segment.IsEmpty)
                            {
                                await _socket.SendAsync(segment, WebSocketMessageType.Text, remaining == 0, _stopping.Token);
                            }
                        }

                        _sendingMessage = false;

                        if (result.IsCompleted)
                        {
                            break;
                        }
                    }
                    finally
                    {
                        _output.Reader.AdvanceTo(buffer.End);
                    }
                }

                if (!_stopping.IsCancellationRequested && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
                {
                    await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, _stopping.Token);
                }
            }
            catch (Exception exception)
            {
                // Once stopping, the socket's complaints are our own doing; before, they are the connection's end.
                error = _stopping.IsCancellationRequested ? _abortReason : exception;
            }

            await _output.Reader.CompleteAsync(error);
        }
    }
}

public static class HubConnections
{
    public static HubConnection ForTestServer(TestServer server, string hubPath, string? accessToken)
    {
        var client = server.CreateWebSocketClient();
        return Build(HubUri(new Uri("ws://localhost"), hubPath, accessToken), client.ConnectAsync);
    }

    public static HubConnection ForUrl(Uri baseHttpUrl, string hubPath, string? accessToken)
    {
        var webSocketBase = new UriBuilder(baseHttpUrl) { Scheme = baseHttpUrl.Scheme == Uri.UriSchemeHttps ? "wss" : "ws" }.Uri;
        return Build(HubUri(webSocketBase, hubPath, accessToken), ConnectClientWebSocketAsync);
    }

    private static HubConnection Build(Uri hubUri, Func<Uri, CancellationToken, Task<WebSocket>> connect)
    {
        var builder = new HubConnectionBuilder();
        builder.Services.AddSingleton<IConnectionFactory>(new WebSocketConnectionFactory(connect));
        builder.Services.AddSingleton<EndPoint>(new UriEndPoint(hubUri));
        builder.AddJsonProtocol(o => o.PayloadSerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower);
        return builder.Build();
    }

    private static Uri HubUri(Uri webSocketBase, string hubPath, string? accessToken) =>
        new UriBuilder(webSocketBase)
        {
            Path = hubPath,
            Query = accessToken is null ? string.Empty : "access_token=" + Uri.EscapeDataString(accessToken),
        }.Uri;

    private static async Task<WebSocket> ConnectClientWebSocketAsync(Uri uri, CancellationToken cancellationToken)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(uri, cancellationToken);
            return socket;
        }
        catch (Exception)
        {
            socket.Dispose();
            throw;
        }
    }
}

// Events of one hub method, queued from the moment of subscribing, so a test can't miss one sent before it waits.
public sealed class HubEvents<T> : IDisposable
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Channel<T> _events = Channel.CreateUnbounded<T>();
    private readonly string _method;
    private readonly IDisposable _subscription;

    private HubEvents(HubConnection connection, string method)
    {
        _method = method;
        _subscription = connection.On<T>(method, item => _events.Writer.TryWrite(item));
    }

    public static HubEvents<T> On(HubConnection connection, string method) => new(connection, method);

    public Task<T> NextAsync(TimeSpan? timeout = null) => WaitForAsync(_ => true, timeout);

    public async Task<T> WaitForAsync(Func<T, bool> predicate, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        using var timer = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var item = await _events.Reader.ReadAsync(timer.Token);
                if (predicate(item))
                {
                    return item;
                }
            }
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested)
        {
            throw new TimeoutException($"No matching '{_method}' event within {limit.TotalSeconds:0.###} s.");
        }
    }

    public bool TryTake([MaybeNullWhen(false)] out T item) => _events.Reader.TryRead(out item);

    public void Dispose() => _subscription.Dispose();
}

public static class HubConnectionReadiness
{
    /// <summary>
    /// Starts the connection and waits until the server has finished OnConnectedAsync (group joins included): SignalR
    /// completes the handshake first, and a first invocation is only dispatched once OnConnectedAsync is done.
    /// </summary>
    public static async Task StartReadyAsync(this HubConnection connection, string hubPath)
    {
        await connection.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var barrier = hubPath.EndsWith("operator", StringComparison.Ordinal)
            ? connection.InvokeAsync<System.Text.Json.JsonElement>("ListMine")
            : connection.InvokeAsync<System.Text.Json.JsonElement>("History", new { after_seq = int.MaxValue, limit = 1 });
        await barrier.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
