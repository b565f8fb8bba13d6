using StackExchange.Redis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>
/// The node's one Redis connection (StackExchange.Redis multiplexes it), shared by the SignalR backplane, the replay
/// cache, rate limits and cluster events. A node starts without Redis (AbortOnConnectFail = false) and reconnects by
/// itself; while Redis is away every command fails at once (BacklogPolicy.FailFast) instead of queueing, so callers
/// fall back to local work instead of waiting. Subscriptions registered while Redis is away are made when it returns.
/// </summary>
public sealed class RedisConnection : IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly ILogger<RedisConnection> _logger;
    private int _publishFailed;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RedisConnection(string configuration, ILogger<RedisConnection> logger)
    {
        _logger = logger;
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.BacklogPolicy = BacklogPolicy.FailFast;
        options.ConnectRetry = 1;
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 2000;
        options.AsyncTimeout = 2000;
        options.KeepAlive = 5;
        options.ReconnectRetryPolicy = new ExponentialRetry(250, 2000);
        options.ClientName ??= $"bloonio-relay-{Environment.MachineName}";
        _redis = ConnectionMultiplexer.Connect(options);
        if (_redis.IsConnected)
        {
            _connected.TrySetResult();
        }
        else
        {
            logger.LogWarning("Redis is not reachable; this node serves its own connections until it is");
        }

        _redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType != ConnectionType.Subscription)
            {
                return; // one line per outage, not one per socket
            }

            if (_connected.Task.IsCompleted)
            {
                Interlocked.Exchange(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            logger.LogWarning("Redis connection lost ({FailureType}); serving local connections only", e.FailureType);
        };
        _redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType != ConnectionType.Subscription)
            {
                return;
            }

            Interlocked.Exchange(ref _publishFailed, 0);
            logger.LogInformation("Redis connection restored");
            _connected.TrySetResult();
            Restored?.Invoke();
        };
    }

    /// <summary>Raised once each time the subscription connection comes back (or comes up for the first time).</summary>
    public event Action? Restored;

    public IConnectionMultiplexer Multiplexer => _redis;

    public bool IsConnected => _redis.IsConnected;

    /// <summary>Completes when the connection is up (at once if it is): for readiness checks and tests.</summary>
    public Task WhenConnectedAsync() => _redis.IsConnected ? Task.CompletedTask : _connected.Task;

    public IDatabase Database => _redis.GetDatabase();

    /// <summary>
    /// Subscribes now if Redis is up; otherwise the handler stays registered and StackExchange.Redis subscribes it when
    /// the connection comes back, so a node that starts without Redis still hears the others later.
    /// </summary>
    public void Subscribe(string channel, Action<string> handler)
    {
        try
        {
            _redis.GetSubscriber().Subscribe(RedisChannel.Literal(channel), (_, value) => handler(value!));
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            _logger.LogWarning("Subscribing to {Channel} waits for Redis to come back", channel);
        }
    }

    public void Unsubscribe(string channel)
    {
        try
        {
            _redis.GetSubscriber().Unsubscribe(RedisChannel.Literal(channel));
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            // Going away anyway: the server drops a dead client's subscriptions.
        }
    }

    public async Task<bool> PublishAsync(string channel, string message)
    {
        try
        {
            await _redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), message);
            return true;
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            if (Interlocked.Exchange(ref _publishFailed, 1) == 0)
            {
                _logger.LogWarning(ex, "Redis publish failed; other nodes miss live updates until it is back (clients catch up with History)");
            }

            return false;
        }
    }

    public async Task<bool> PingAsync()
    {
        try
        {
            await _redis.GetDatabase().PingAsync();
            return true;
        }
        catch (Exception ex) when (IsFailure(ex))
        {
            return false;
        }
    }

    /// <summary>What Redis being away looks like to a caller (as opposed to a bug).</summary>
    public static bool IsFailure(Exception ex) => ex is RedisException or TimeoutException or ObjectDisposedException;

    public void Dispose() => _redis.Dispose();
}
