using System.Collections.Concurrent;
using System.Text.Json;
using Bloonio.Relay.Web.Http;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Protocol;
using StackExchange.Redis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>
/// A SignalR backplane over Redis pub/sub (StackExchange.Redis 1.2.6; the official package is not in our registry).
/// Every send is delivered to this node's connections directly and published once (serialised once) for the other
/// nodes; each node delivers what it receives to its own connections. Group changes for a connection on another node
/// travel as commands and are acknowledged. Without Redis the node keeps serving its own connections and catches up
/// when the multiplexer reconnects (subscriptions are restored by StackExchange.Redis).
/// </summary>
public sealed class RedisHubLifetimeManager<THub> : HubLifetimeManager<THub>, IDisposable where THub : Hub
{
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(5);
    private readonly HubConnectionStore _connections = new();
    private readonly ConcurrentDictionary<string, HubConnectionStore> _groups = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _groupsOfConnection = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _acks = new(StringComparer.Ordinal);
    private readonly RedisBackplane _redis;
    private readonly ILogger _logger;
    private readonly string _channel;
    private readonly string _node = Guid.NewGuid().ToString("N");

    public RedisHubLifetimeManager(RedisBackplane redis, ILogger<RedisHubLifetimeManager<THub>> logger)
    {
        _redis = redis;
        _logger = logger;
        _channel = $"relay:signalr:{typeof(THub).Name}";
        _redis.Subscribe(_channel, OnMessage);
    }

    public override Task OnConnectedAsync(HubConnectionContext connection)
    {
        _connections.Add(connection);
        return Task.CompletedTask;
    }

    public override Task OnDisconnectedAsync(HubConnectionContext connection)
    {
        _connections.Remove(connection);
        if (_groupsOfConnection.TryRemove(connection.ConnectionId, out var groups))
        {
            foreach (var group in groups.Keys)
            {
                RemoveLocal(connection.ConnectionId, group);
            }
        }

        return Task.CompletedTask;
    }

    public override Task SendAllAsync(string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("all", null, methodName, args, null), cancellationToken);

    public override Task SendAllExceptAsync(string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("all", null, methodName, args, excludedConnectionIds), cancellationToken);

    public override Task SendConnectionAsync(string connectionId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("conn", [connectionId], methodName, args, null), cancellationToken);

    public override Task SendConnectionsAsync(IReadOnlyList<string> connectionIds, string methodName, object?[] args,
        CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("conn", connectionIds, methodName, args, null), cancellationToken);

    public override Task SendGroupAsync(string groupName, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("group", [groupName], methodName, args, null), cancellationToken);

    public override Task SendGroupsAsync(IReadOnlyList<string> groupNames, string methodName, object?[] args,
        CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("group", groupNames, methodName, args, null), cancellationToken);

    public override Task SendGroupExceptAsync(string groupName, string methodName, object?[] args, IReadOnlyList<string> excludedConnectionIds,
        CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("group", [groupName], methodName, args, excludedConnectionIds), cancellationToken);

    public override Task SendUserAsync(string userId, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("user", [userId], methodName, args, null), cancellationToken);

    public override Task SendUsersAsync(IReadOnlyList<string> userIds, string methodName, object?[] args, CancellationToken cancellationToken = default) =>
        DispatchAsync(new Envelope("user", userIds, methodName, args, null), cancellationToken);

    public override async Task AddToGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (_connections[connectionId] is { } local)
        {
            AddLocal(local, groupName);
            return;
        }

        await GroupCommandAsync("gadd", connectionId, groupName, cancellationToken);
    }

    public override async Task RemoveFromGroupAsync(string connectionId, string groupName, CancellationToken cancellationToken = default)
    {
        if (_connections[connectionId] is not null)
        {
            RemoveLocal(connectionId, groupName);
            return;
        }

        await GroupCommandAsync("gremove", connectionId, groupName, cancellationToken);
    }

    public void Dispose() => _redis.Unsubscribe(_channel);

    /// <summary>Local delivery never waits for Redis; the other nodes get one serialised copy.</summary>
    private async Task DispatchAsync(Envelope envelope, CancellationToken ct)
    {
        var message = new InvocationMessage(envelope.Method, envelope.Args);
        await DeliverLocallyAsync(envelope.Kind, envelope.Targets, envelope.Excluded, message, ct);
        var json = JsonSerializer.Serialize(new Wire(_node, envelope.Kind, envelope.Targets, envelope.Method,
            JsonSerializer.SerializeToElement(envelope.Args, RelayJson.Options), envelope.Excluded, null, null), RelayJson.Options);
        await _redis.PublishAsync(_channel, json);
    }

    private async Task DeliverLocallyAsync(string kind, IReadOnlyList<string>? targets, IReadOnlyList<string>? excluded, InvocationMessage message,
        CancellationToken ct)
    {
        var recipients = new Dictionary<string, HubConnectionContext>(StringComparer.Ordinal);
        void Add(HubConnectionContext c)
        {
            if (excluded is not { Count: > 0 } || !excluded.Contains(c.ConnectionId))
            {
                recipients[c.ConnectionId] = c;
            }
        }

        switch (kind)
        {
            case "all":
                foreach (var c in _connections)
                {
                    Add(c);
                }

                break;
            case "conn":
                foreach (var id in targets!)
                {
                    if (_connections[id] is { } c)
                    {
                        Add(c);
                    }
                }

                break;
            case "group":
                foreach (var group in targets!)
                {
                    if (_groups.TryGetValue(group, out var store))
                    {
                        foreach (var c in store)
                        {
                            Add(c);
                        }
                    }
                }

                break;
            case "user":
                foreach (var c in _connections)
                {
                    if (c.UserIdentifier is { } user && targets!.Contains(user))
                    {
                        Add(c);
                    }
                }

                break;
        }

        foreach (var connection in recipients.Values)
        {
            await connection.WriteAsync(message, ct);
        }
    }

    private async Task GroupCommandAsync(string kind, string connectionId, string groupName, CancellationToken ct)
    {
        var ackId = Guid.NewGuid().ToString("N");
        var ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _acks[ackId] = ack;
        try
        {
            var json = JsonSerializer.Serialize(new Wire(_node, kind, [connectionId, groupName], "", default, null, ackId, null), RelayJson.Options);
            if (await _redis.PublishAsync(_channel, json))
            {
                // The node holding the connection acknowledges; none does when the connection is gone everywhere.
                await ack.Task.WaitAsync(AckTimeout, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
        finally
        {
            _acks.TryRemove(ackId, out _);
        }
    }

    private void OnMessage(string json)
    {
        Wire wire;
        try
        {
            wire = JsonSerializer.Deserialize<Wire>(json, RelayJson.Options)!;
        }
        catch (JsonException ex)
        {
            _logger.LogWarning(ex, "Ignoring an unreadable backplane message");
            return;
        }

        if (wire.Node == _node)
        {
            return; // delivered locally when it was sent
        }

        switch (wire.Kind)
        {
            case "gadd" or "gremove":
                HandleGroupCommand(wire);
                break;
            case "ack":
                if (wire.ToNode == _node && _acks.TryGetValue(wire.AckId!, out var ack))
                {
                    ack.TrySetResult();
                }

                break;
            default:
                var args = wire.Args.ValueKind == JsonValueKind.Array ? wire.Args.EnumerateArray().Select(a => (object?)a.Clone()).ToArray() : [];
                _ = DeliverRemoteAsync(wire, args);
                break;
        }
    }

    private async Task DeliverRemoteAsync(Wire wire, object?[] args)
    {
        try
        {
            await DeliverLocallyAsync(wire.Kind, wire.Targets, wire.Excluded, new InvocationMessage(wire.Method, args), CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.LogWarning(ex, "Delivering a backplane message ({Kind} {Method}) failed", wire.Kind, wire.Method);
        }
    }

    private void HandleGroupCommand(Wire wire)
    {
        var (connectionId, group) = (wire.Targets![0], wire.Targets[1]);
        if (_connections[connectionId] is not { } connection)
        {
            return;
        }

        if (wire.Kind == "gadd")
        {
            AddLocal(connection, group);
        }
        else
        {
            RemoveLocal(connectionId, group);
        }

        var ack = JsonSerializer.Serialize(new Wire(_node, "ack", null, "", default, null, wire.AckId, wire.Node), RelayJson.Options);
        _ = _redis.PublishAsync(_channel, ack);
    }

    private void AddLocal(HubConnectionContext connection, string group)
    {
        _groups.GetOrAdd(group, _ => new HubConnectionStore()).Add(connection);
        _groupsOfConnection.GetOrAdd(connection.ConnectionId, _ => new(StringComparer.Ordinal))[group] = 0;
    }

    private void RemoveLocal(string connectionId, string group)
    {
        if (_groups.TryGetValue(group, out var store) && store[connectionId] is { } connection)
        {
            store.Remove(connection);
        }

        if (_groupsOfConnection.TryGetValue(connectionId, out var groups))
        {
            groups.TryRemove(group, out _);
        }
    }

    private sealed record Envelope(string Kind, IReadOnlyList<string>? Targets, string Method, object?[] Args, IReadOnlyList<string>? Excluded);

    /// <summary>What travels through Redis: the sending node, what to deliver to whom, the arguments serialised once.</summary>
    private sealed record Wire(
        string Node, string Kind, IReadOnlyList<string>? Targets, string Method, JsonElement Args, IReadOnlyList<string>? Excluded, string? AckId,
        string? ToNode);
}
