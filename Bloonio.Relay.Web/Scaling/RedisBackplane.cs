using StackExchange.Redis;

namespace Bloonio.Relay.Web.Scaling;

/// <summary>
/// The node's one Redis connection (StackExchange.Redis multiplexes it). Starts even when Redis is down
/// (AbortOnConnectFail = false) and reconnects by itself, restoring subscriptions; a failed publish is logged (once per
/// outage) and reported, never thrown, so a node without Redis keeps serving its own connections.
/// </summary>
public sealed class RedisBackplane : IDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly ILogger<RedisBackplane> _logger;
    private int _down;
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public RedisBackplane(string configuration, ILogger<RedisBackplane> logger)
    {
        _logger = logger;
        var options = ConfigurationOptions.Parse(configuration);
        options.AbortOnConnectFail = false;
        options.ConnectRetry = 3;
        options.ConnectTimeout = 2000;
        options.SyncTimeout = 2000;
        options.KeepAlive = 5;
        _redis = ConnectionMultiplexer.Connect(options);
        if (_redis.IsConnected)
        {
            _connected.TrySetResult();
        }

        _redis.ConnectionFailed += (_, e) =>
        {
            if (_connected.Task.IsCompleted)
            {
                Interlocked.Exchange(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            logger.LogWarning("Redis connection lost ({FailureType}); serving local connections only", e.FailureType);
        };
        _redis.ConnectionRestored += (_, _) =>
        {
            Interlocked.Exchange(ref _down, 0);
            _connected.TrySetResult();
            logger.LogInformation("Redis connection restored");
        };
    }

    public bool IsConnected => _redis.IsConnected;

    /// <summary>Completes when the connection is up (at once if it is): for readiness checks and tests.</summary>
    public Task WhenConnectedAsync() => _redis.IsConnected ? Task.CompletedTask : _connected.Task;

    public IDatabase Database => _redis.GetDatabase();

    public void Subscribe(string channel, Action<string> handler) =>
        _redis.GetSubscriber().Subscribe(channel, (_, value) => handler(value!));

    public void Unsubscribe(string channel) => _redis.GetSubscriber().Unsubscribe(channel);

    public async Task<bool> PublishAsync(string channel, string message)
    {
        try
        {
            await _redis.GetSubscriber().PublishAsync(channel, message);
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or ObjectDisposedException)
        {
            if (Interlocked.Exchange(ref _down, 1) == 0)
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
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    public void Dispose() => _redis.Dispose();
}
