using System.Net.Sockets;
using Bloonio.Relay.Data.Caching;
using Bloonio.Relay.Data.Common;
using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Web.Webhooks;
using Npgsql;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// The node's one listening connection (outside the pool): PostgreSQL notifications, sent by writers in their
/// transactions and delivered at commit, wake the sequencer, the event consumers and the webhook worker, and invalidate
/// the caches. While the connection is lost the background work still runs on its safety-net intervals; when it comes
/// back, everything is woken and the caches are cleared (what was missed meanwhile is unknown).
/// </summary>
public sealed class PostgresListener(
    ListenConnections connections, RelayCaches caches, EventSequencing sequencing, EventDispatcher dispatcher, WebhookWorker webhooks,
    NotificationState state, TimeProvider clock, ILogger<PostgresListener> logger) : BackgroundService
{
    /// <summary>Whether the node is listening now (reported by <c>/readyz</c>: without it, work waits for its intervals).</summary>
    public bool Listening
    {
        get => state.Listening;
        private set => state.Listening = value;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var retry = TimeSpan.FromSeconds(1);
        var lost = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = connections.Create();
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand(string.Join(';', Notifications.All.Select(c => $"LISTEN {c}")), connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                if (lost)
                {
                    logger.LogInformation("Listening to PostgreSQL notifications again");
                }

                caches.Clear();
                sequencing.Wake();
                dispatcher.Wake();
                webhooks.Wake();
                (retry, lost, Listening) = (TimeSpan.FromSeconds(1), false, true);
                while (true)
                {
                    await connection.WaitAsync(stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or IOException or TimeoutException)
            {
                if (!lost)
                {
                    logger.LogWarning("Lost the PostgreSQL notification connection ({Error}); background work falls back to its intervals",
                        ex.Message);
                }

                (lost, Listening) = (true, false);
                caches.Clear();
                await Task.Delay(retry, clock, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
                retry = TimeSpan.FromTicks(Math.Min(retry.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        switch (channel)
        {
            case Notifications.Sequenced:
                dispatcher.Wake();
                break;
            case Notifications.Webhooks:
                webhooks.Wake();
                break;
            case Notifications.Cache:
                caches.Invalidate(payload);
                break;
        }
    }
}
