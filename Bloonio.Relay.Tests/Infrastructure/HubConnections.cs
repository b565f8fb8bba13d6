using System.Diagnostics.CodeAnalysis;
using System.Threading.Channels;
using Microsoft.AspNetCore.Http.Connections;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Bloonio.Relay.Tests.Infrastructure;

/// <summary>
/// The official .NET SignalR client (the in-app SDK's), on its default settings: negotiate, then WebSockets, with
/// server-sent events and long polling as fallbacks. Against the in-process test server its HTTP and WebSocket
/// factories go through the server's handler; against Kestrel it uses real sockets.
/// </summary>
public static class HubConnections
{
    public const HttpTransportType AllTransports = HttpTransportType.WebSockets | HttpTransportType.ServerSentEvents | HttpTransportType.LongPolling;

    public static HubConnection ForTestServer(TestServer server, string hubPath, string? accessToken,
        HttpTransportType transports = AllTransports, bool messagePack = false, Action<IHubConnectionBuilder>? configure = null)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(server.BaseAddress, hubPath), transports, o =>
        {
            o.HttpMessageHandlerFactory = _ => server.CreateHandler();
            o.WebSocketFactory = async (context, ct) =>
            {
                var client = server.CreateWebSocketClient();
                if (context.Options.AccessTokenProvider is { } tokens && await tokens() is { } token)
                {
                    client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + token;
                }

                return await client.ConnectAsync(context.Uri, ct);
            };
            if (accessToken is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            }
        });
        return Build(builder, messagePack, configure);
    }

    public static HubConnection ForUrl(Uri baseHttpUrl, string hubPath, string? accessToken,
        HttpTransportType transports = AllTransports, bool messagePack = false, Action<IHubConnectionBuilder>? configure = null)
    {
        var builder = new HubConnectionBuilder().WithUrl(new Uri(baseHttpUrl, hubPath), transports, o =>
        {
            if (accessToken is not null)
            {
                o.AccessTokenProvider = () => Task.FromResult<string?>(accessToken);
            }
        });
        return Build(builder, messagePack, configure);
    }

    private static HubConnection Build(IHubConnectionBuilder builder, bool messagePack, Action<IHubConnectionBuilder>? configure)
    {
        if (messagePack)
        {
            builder.AddMessagePackProtocol();
        }

        configure?.Invoke(builder);
        return builder.Build();
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
            ? connection.InvokeAsync<object>("ListMine")
            : connection.InvokeAsync<object>("History", new { after_seq = int.MaxValue, limit = 1 });
        await barrier.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
