using System.Collections.Concurrent;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using Microsoft.AspNetCore.SignalR.StackExchangeRedis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>
/// The official Redis backplane (Microsoft.AspNetCore.SignalR.StackExchangeRedis), plus the promise it does not keep by
/// itself: a node whose Redis is away still serves its own connections. Every local connection and group is mirrored in
/// a <see cref="DefaultHubLifetimeManager{THub}"/>; a send goes through the backplane, and when Redis fails (fast: the
/// connection's backlog policy) it is delivered to this node's connections instead.
/// The backplane is created once Redis is first reachable (it subscribes its fixed channels when created, and never
/// again). A connection that arrives, or changes groups, while Redis is away is served locally only; when Redis comes
/// back such connections are closed, so their clients reconnect and subscribe properly (History catches them up).
/// </summary>
public sealed class LocalFallbackHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable where THub : Hub
{
    private readonly IServiceProvider _services;
    private readonly RedisConnection _redis;
    private readonly ILogger _logger;
    private readonly DefaultHubLifetimeManager<THub> _local;
    private readonly ConcurrentDictionary<string, HubConnectionContext> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubConnectionContext> _onBackplane = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HubConnectionContext> _localOnly = new(StringComparer.Ordinal);
    private readonly Lock _creating = new();
    private RedisHubLifetimeManager<THub>? _backplane;
    private int _sendFailed;

    public LocalFallbackHubLifetimeManager(IServiceProvider services, RedisConnection redis, ILogger<LocalFallbackHubLifetimeManager<THub>> logger)
    {
        (_services, _redis, _logger) = (services, redis, logger);
        _local = new DefaultHubLifetimeManager<THub>(services.GetRequiredService<ILogger<DefaultHubLifetimeManager<THub>>>());
        redis.Restored += OnRedisRestored;
    }

    public override async Task OnConnectedAsync(HubConnectionContext connection)
    {
        _connections[connection.ConnectionId] = connection;
        await _local.OnConnectedAsync(connection);
        if (Backplane() is { } backplane)
        {
            // The backplane registers the connection before it subscribes: from here on it must hear the disconnect.
            _onBackplane[connection.ConnectionId] = connection;
            try
            {
                await backplane.OnConnectedAsync(connection);
                return;
            }
            catch (Exception ex) when (RedisConnection.IsFailure(ex))
            {
                _logger.LogDebug(ex, "Connection {ConnectionId} is served locally until Redis is back", connection.ConnectionId);
            }
        }

        MarkLocalOnly(connection);
    }

    public override async Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.TryRemove(connection.ConnectionId, out _);
        _localOnly.TryRemove(connection.ConnectionId, out _);
        await _local.OnDisconnectedAsync(connection);
        if (_onBackplane.TryRemove(connection.ConnectionId, out _))
        {
            try
            {
                await _backplane!.OnDisconnectedAsync(connection);
            }
            catch (Exception ex) when (RedisConnection.IsFailure(ex))
            {
                _logger.LogDebug(ex, "Unsubscribing connection {ConnectionId} failed; Redis drops a dead client's subscriptions", connection.ConnectionId);
            }
        }
    }

    public override Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        ChangeGroupAsync(connectionId, groupName, add: true, cancellationToken);

    public override Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default) =>
        ChangeGroupAsync(connectionId, groupName, add: false, cancellationToken);

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendAllAsync(methodName, args, cancellationToken));

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendAllExceptAsync(methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        _connections.ContainsKey(connectionId)
            ? _local.SendConnectionAsync(connectionId, methodName, args, cancellationToken)
            : SendAsync(m => m.SendConnectionAsync(connectionId, methodName, args, cancellationToken));

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendConnectionsAsync(connectionIds, methodName, args, cancellationToken));

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendGroupAsync(groupName, methodName, args, cancellationToken));

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args,
        CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendGroupsAsync(groupNames, methodName, args, cancellationToken));

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendGroupExceptAsync(groupName, methodName, args, excludedConnectionIds, cancellationToken));

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendUserAsync(userId, methodName, args, cancellationToken));

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        SendAsync(m => m.SendUsersAsync(userIds, methodName, args, cancellationToken));

    public void Dispose()
    {
        _redis.Restored -= OnRedisRestored;
        _backplane?.Dispose();
    }

    /// <summary>Whether this node's connection with that id is served locally only (tests and diagnostics).</summary>
    internal bool IsLocalOnly(string connectionId) => _localOnly.ContainsKey(connectionId);

    private async Task SendAsync(Func<HubLifetimeManager<THub>, Task> send)
    {
        if (_redis.IsConnected && Backplane() is { } backplane)
        {
            try
            {
                await send(backplane);
                return;
            }
            catch (Exception ex) when (RedisConnection.IsFailure(ex))
            {
                if (Interlocked.Exchange(ref _sendFailed, 1) == 0)
                {
                    _logger.LogWarning(ex, "Sending through Redis failed; delivering to this node's connections only until it is back");
                }
            }
        }

        await send(_local);
    }

    private async Task ChangeGroupAsync(string connectionId, string groupName, bool add, CancellationToken ct)
    {
        await (add ? _local.AddToGroupAsync(connectionId, groupName, ct) : _local.RemoveFromGroupAsync(connectionId, groupName, ct));
        var isLocal = _connections.TryGetValue(connectionId, out var connection);
        var servedLocally = isLocal && (!_onBackplane.ContainsKey(connectionId) || _localOnly.ContainsKey(connectionId));
        if (servedLocally || Backplane() is not { } backplane)
        {
            return; // it registers its groups with the backplane when it reconnects after Redis is back
        }

        try
        {
            // For a connection of another node the official manager sends a group command and waits for that node's ack.
            await (add ? backplane.AddToGroupAsync(connectionId, groupName, ct) : backplane.RemoveFromGroupAsync(connectionId, groupName, ct));
        }
        catch (Exception ex) when (RedisConnection.IsFailure(ex))
        {
            if (isLocal)
            {
                MarkLocalOnly(connection!);
            }
            else
            {
                _logger.LogWarning(ex, "Group change for connection {ConnectionId} on another node was not delivered (Redis away)", connectionId);
            }
        }
    }

    /// <summary>
    /// Served locally from now on. If Redis is (already) back, the restore event may have passed it by: close it now, so
    /// it never stays local-only while the cluster is whole.
    /// </summary>
    private void MarkLocalOnly(HubConnectionContext connection)
    {
        _localOnly[connection.ConnectionId] = connection;
        if (_redis.IsConnected)
        {
            _ = CloseForReconnectAsync(connection);
        }
    }

    private RedisHubLifetimeManager<THub>? Backplane()
    {
        if (_backplane is { } created)
        {
            return created;
        }

        lock (_creating)
        {
            if (_backplane is null && _redis.IsConnected)
            {
                _backplane = ActivatorUtilities.CreateInstance<RedisHubLifetimeManager<THub>>(_services);
            }

            return _backplane;
        }
    }

    private void OnRedisRestored()
    {
        Interlocked.Exchange(ref _sendFailed, 0);
        Backplane();
        foreach (var connection in _localOnly.Values)
        {
            _logger.LogInformation("Closing connection {ConnectionId} that joined while Redis was away, so it reconnects through the backplane",
                connection.ConnectionId);
            _ = CloseForReconnectAsync(connection);
        }
    }

    /// <summary>
    /// A close message that allows reconnecting (what SignalR itself sends when a server stops), so the official clients
    /// reconnect at once, then the end of the connection. A bare abort would look like a clean close: no reconnect.
    /// </summary>
    private async Task CloseForReconnectAsync(HubConnectionContext connection)
    {
        try
        {
            await connection.WriteAsync(new CloseMessage("reconnecting: the relay's cluster link is back", allowReconnect: true));
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or InvalidOperationException)
        {
            // Already going: the abort below is all that is left to do.
        }

        connection.Abort();
    }
}
