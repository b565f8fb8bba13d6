using System.Diagnostics.Metrics;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Brain;
using Bloonio.Relay.Web.Hosting;
using Npgsql;

namespace Bloonio.Relay.Web.Observability;

/// <summary>
/// The relay's state as gauges, read when metrics are collected (a scrape): queue length and oldest wait, outbox lag per
/// consumer (events and seconds behind), events not numbered yet, webhooks due, bot replies pending, and the health of
/// PostgreSQL, its notification connection, Redis and the brain's circuit. One query serves every gauge of a collection
/// (a snapshot lives 2 s), so a scrape costs one round trip; PostgreSQL away makes <c>relay.postgres.up</c> 0 and the
/// database gauges report nothing.
/// </summary>
public sealed class RelayGauges
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);
    private readonly NpgsqlDataSource _db;
    private readonly IServiceProvider _services;
    private readonly object _gate = new();
    private Snapshot? _snapshot;

    private sealed record Snapshot(
        DateTime At, bool Up, long Waiting, double OldestWait, IReadOnlyList<(string Consumer, long Events, double Seconds)> Lag,
        long Unnumbered, long WebhooksDue, long BotPending);

    public RelayGauges(NpgsqlDataSource db, IServiceProvider services)
    {
        (_db, _services) = (db, services);
        var meter = RelayTelemetry.Meter;
        meter.CreateObservableGauge("relay.queue.length", () => Db<long>(s => [new Measurement<long>(s.Waiting)]), "{conversation}",
            "Conversations waiting in a queue (every tenant)");
        meter.CreateObservableGauge("relay.queue.oldest_wait", () => Db<double>(s => [new Measurement<double>(s.OldestWait)]), "s",
            "How long the longest-waiting conversation has waited");
        meter.CreateObservableGauge("relay.outbox.lag.events", () => Db(s => s.Lag.Select(l => new Measurement<long>(l.Events, Consumer(l.Consumer)))),
            "{event}", "Events a consumer has still to handle (every tenant)");
        meter.CreateObservableGauge("relay.outbox.lag.seconds", () => Db(s => s.Lag.Select(l => new Measurement<double>(l.Seconds, Consumer(l.Consumer)))),
            "s", "Age of the oldest event a consumer has still to handle");
        meter.CreateObservableGauge("relay.outbox.unnumbered", () => Db<long>(s => [new Measurement<long>(s.Unnumbered)]), "{event}",
            "Events committed but not numbered yet (the sequencer's backlog)");
        meter.CreateObservableGauge("relay.webhooks.due", () => Db<long>(s => [new Measurement<long>(s.WebhooksDue)]), "{delivery}",
            "Webhook deliveries due now");
        meter.CreateObservableGauge("relay.bot.pending", () => Db<long>(s => [new Measurement<long>(s.BotPending)]), "{reply}",
            "Bot replies stored and not answered yet");
        meter.CreateObservableGauge("relay.postgres.up", () => new Measurement<int>(Current().Up ? 1 : 0), null, "1 while PostgreSQL answers");
        meter.CreateObservableGauge("relay.postgres.notifications", () => new Measurement<int>(
            _services.GetRequiredService<PostgresListener>().Listening ? 1 : 0), null, "1 while the node listens to PostgreSQL notifications");
        meter.CreateObservableGauge("relay.redis.up", RedisUp, null, "1 while the Redis backplane answers (absent with one node)");
        meter.CreateObservableGauge("relay.brain.circuit", BrainCircuit, null, "The brain's circuit: 0 closed, 1 half-open, 2 open");
    }

    private static KeyValuePair<string, object?> Consumer(string consumer) => new("consumer", consumer);

    private IEnumerable<Measurement<T>> Db<T>(Func<Snapshot, IEnumerable<Measurement<T>>> read) where T : struct =>
        Current() is { Up: true } s ? read(s) : [];

    private IEnumerable<Measurement<int>> RedisUp() =>
        _services.GetService<Scaling.RedisConnection>() is { } redis ? [new Measurement<int>(redis.IsConnected ? 1 : 0)] : [];

    private IEnumerable<Measurement<int>> BrainCircuit() =>
        _services.GetService<BrainCircuit>()?.State switch
        {
            null => [],
            "closed" => [new Measurement<int>(0)],
            "half-open" => [new Measurement<int>(1)],
            _ => [new Measurement<int>(2)],
        };

    private Snapshot Current()
    {
        lock (_gate)
        {
            if (_snapshot is { } fresh && DateTime.UtcNow - fresh.At < MaxAge)
            {
                return fresh;
            }

            return _snapshot = Read();
        }
    }

    private Snapshot Read()
    {
        try
        {
            using var connection = _db.OpenConnection();
            using var command = new NpgsqlCommand("""
                SELECT count(*), COALESCE(extract(epoch FROM now() - min(waiting_since)), 0)::float8 FROM assignments WHERE status = 'waiting';
                SELECT c.consumer, COALESCE(sum(s.last_sequence - c.last_sequence), 0)::bigint,
                       COALESCE(extract(epoch FROM now() - min(e.created_at)), 0)::float8
                FROM event_cursors c
                JOIN tenant_event_sequences s ON s.tenant_id = c.tenant_id
                LEFT JOIN event_numbers n ON n.tenant_id = c.tenant_id AND n.sequence = c.last_sequence + 1
                LEFT JOIN events e ON e.id = n.event_row
                GROUP BY c.consumer;
                SELECT (SELECT count(*) FROM events_pending),
                       (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now()),
                       (SELECT count(*) FROM bot_replies);
                """, connection) { CommandTimeout = 5 };
            using var reader = command.ExecuteReader();
            reader.Read();
            var (waiting, oldest) = (reader.GetInt64(0), reader.GetDouble(1));
            reader.NextResult();
            var lag = new List<(string, long, double)>();
            while (reader.Read())
            {
                lag.Add((reader.GetString(0), reader.GetInt64(1), reader.GetDouble(2)));
            }

            reader.NextResult();
            reader.Read();
            return new Snapshot(DateTime.UtcNow, true, waiting, oldest, lag, reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
        }
        catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
        {
            return new Snapshot(DateTime.UtcNow, false, 0, 0, [], 0, 0, 0);
        }
    }
}
