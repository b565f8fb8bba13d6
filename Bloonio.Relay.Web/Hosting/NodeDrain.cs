using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Graceful shutdown (SPEC 14). On SIGTERM, before anything else stops: the node stops taking work (<c>/readyz</c> 503,
/// new hub connections 503, new hub calls <c>unavailable:</c>), lets the hub calls in flight finish and the messages
/// accepted so far be stored, then closes every hub connection with a close frame that allows reconnecting, so clients
/// reconnect at once (to another node behind a load balancer, or to this one when it is back) instead of seeing a
/// dropped socket. All of it within <c>Relay:ShutdownTimeoutSeconds</c> (20 s). The outbox's consumers and the bot lane
/// then finish their current batch as hosted services stop.
/// </summary>
public sealed class NodeDrain(IConfiguration configuration, IHostApplicationLifetime lifetime, IServiceProvider services, ILogger<NodeDrain> logger)
{
    private int _registered;

    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);
    private int _invocations;
    private int _transports;
    private volatile bool _draining;

    public bool Draining => _draining;

    public int Connections => _connections.Count;

    public TimeSpan Timeout { get; } = TimeSpan.FromSeconds(Math.Max(1, configuration.GetValue("Relay:ShutdownTimeoutSeconds", 20)));

    internal void Connected(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = connection;
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            // Registered at the first connection, so after SignalR's connection manager (built with the first hub request)
            // registered its own stopping callback, which drops every connection: the last registered runs first.
            lifetime.ApplicationStopping.Register(() => Drain(
                services.GetService<Core.Sessions.ISessionTransitions>() is IAsyncDisposable appends ? () => appends.DisposeAsync().AsTask() : null));
        }
    }

    internal void Disconnected(HubConnectionContext connection) => _connections.TryRemove(connection.ConnectionId, out _);

    internal void TransportStarted() => Interlocked.Increment(ref _transports);

    internal void TransportEnded() => Interlocked.Decrement(ref _transports);

    /// <summary>A hub call starts; false when the node is draining (the caller refuses it).</summary>
    public bool TryEnter()
    {
        Interlocked.Increment(ref _invocations);
        if (!_draining)
        {
            return true;
        }

        Interlocked.Decrement(ref _invocations);
        return false;
    }

    public void Exit() => Interlocked.Decrement(ref _invocations);

    /// <summary>Runs on ApplicationStopping, before SignalR drops its connections and before the server stops.</summary>
    public void Drain(Func<Task>? flushAppends = null)
    {
        _draining = true;
        var clock = System.Diagnostics.Stopwatch.StartNew(); // real time: a test's frozen clock must not hold a shutdown
        var deadline = Timeout;
        logger.LogInformation("Draining: {Connections} hub connections, {Invocations} calls in flight", _connections.Count,
            Volatile.Read(ref _invocations));
        WaitUntil(() => Volatile.Read(ref _invocations) == 0, clock, deadline);
        if (flushAppends is not null)
        {
            try
            {
                flushAppends().Wait(Remaining(clock, deadline));
            }
            catch (AggregateException ex)
            {
                logger.LogWarning(ex.InnerException, "Messages accepted before the shutdown could not all be stored");
            }
        }

        var closing = _connections.Values.Select(CloseForReconnectAsync).ToArray();
        Task.WaitAll(closing, Remaining(clock, deadline));
        WaitUntil(() => _connections.IsEmpty, clock, deadline);
        // The hub is done with them; their transports finish the close handshake (a WebSocket's close frame answered,
        // or SignalR's close time-out), else the server stopping would reset sockets whose close frame is still unread.
        WaitUntil(() => Volatile.Read(ref _transports) <= 0, clock, deadline);
        logger.LogInformation("Drained in {Seconds:0.0} s: {Left} hub calls still running, {Connections} connections and {Transports} transports left",
            clock.Elapsed.TotalSeconds, Volatile.Read(ref _invocations), _connections.Count, Volatile.Read(ref _transports));
    }

    private static TimeSpan Remaining(System.Diagnostics.Stopwatch clock, TimeSpan deadline) =>
        deadline - clock.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;

    private static void WaitUntil(Func<bool> done, System.Diagnostics.Stopwatch clock, TimeSpan deadline)
    {
        while (!done() && clock.Elapsed < deadline)
        {
            Thread.Sleep(20); // the host's stopping callback is synchronous; nothing to await on
        }
    }

    /// <summary>Closes one connection with a reason its client reads (SignalR's close message), not inviting a reconnect.</summary>
    public async Task CloseAsync(string connectionId, string reason)
    {
        if (_connections.TryGetValue(connectionId, out var connection))
        {
            try
            {
                await connection.WriteAsync(new CloseMessage(reason, allowReconnect: false));
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
            {
                // Already going.
            }

            connection.Abort();
        }
    }

    /// <summary>What SignalR sends when a server stops gracefully: the official clients reconnect at once.</summary>
    private static async Task CloseForReconnectAsync(HubConnectionContext connection)
    {
        try
        {
            await connection.WriteAsync(new CloseMessage("unavailable: this node is shutting down; reconnect", allowReconnect: true));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Already going.
        }

        connection.Abort();
    }
}

/// <summary>
/// Whatever SignalR's lifetime manager is (in memory, or the Redis backplane with its local fallback), this one sees every
/// connection of the node come and go, for <see cref="NodeDrain"/> to close them all at shutdown.
/// </summary>
public sealed class DrainingHubLifetimeManager<THub>(IServiceProvider services, NodeDrain drain) : HubLifetimeManager<THub> where THub : Hub
{
    private readonly HubLifetimeManager<THub> _inner = services.GetService<Scaling.RedisConnection>() is not null
        ? ActivatorUtilities.CreateInstance<Scaling.LocalFallbackHubLifetimeManager<THub>>(services)
        : new DefaultHubLifetimeManager<THub>(services.GetRequiredService<ILogger<DefaultHubLifetimeManager<THub>>>());

    private static readonly KeyValuePair<string, object?> HubLabel = new("hub", typeof(THub).Name.Replace("Hub", "", StringComparison.Ordinal).ToLowerInvariant());

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        await _inner.OnConnectedAsync(connection);
        drain.Connected(connection);
        Core.Common.RelayTelemetry.HubConnections.Add(1, HubLabel);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        drain.Disconnected(connection);
        Core.Common.RelayTelemetry.HubConnections.Add(-1, HubLabel);
        await _inner.OnDisconnectedAsync(connection);
    }

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _inner.AddToGroupAsync(connectionId, groupName, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        _inner.RemoveFromGroupAsync(connectionId, groupName, cancellationToken);

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendAllAsync(methodName, args, cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) => _inner.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendConnectionAsync(connectionId, methodName, args, cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default) => _inner.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendGroupAsync(groupName, methodName, args, cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args,
        CancellationToken cancellationToken = default) => _inner.SendGroupsAsync(groupNames, methodName, args, cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) => _inner.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendUserAsync(userId, methodName, args, cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _inner.SendUsersAsync(userIds, methodName, args, cancellationToken);

    public override Task<T> InvokeConnectionAsync<T>(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken) =>
        _inner.InvokeConnectionAsync<T>(connectionId, methodName, args, cancellationToken);

    public override Task SetConnectionResultAsync(string connectionId, CompletionMessage result) =>
        _inner.SetConnectionResultAsync(connectionId, result);

    public override bool TryGetReturnType(string invocationId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Type? type) =>
        _inner.TryGetReturnType(invocationId, out type);
}
