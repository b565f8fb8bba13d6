using Bloonio.Relay.Web.Brain;
using Npgsql;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// <c>/readyz</c>: 200 while PostgreSQL answers (the node can serve), 503 when it does not. Redis down is reported as
/// <c>degraded</c>, not as not ready (a cluster that still serves is not taken out by its load balancer); the brain's
/// circuit and the outbox's backlog are reported for operators and probes that want them.
/// </summary>
public sealed class Readiness(NpgsqlDataSource db, NodeDrain drain, IServiceProvider services)
{
    public async Task<IResult> CheckAsync(CancellationToken ct)
    {
        if (drain.Draining)
        {
            // Out of the load balancer's rotation at once: the node is closing its connections.
            return Results.Json(new { status = "draining" }, statusCode: StatusCodes.Status503ServiceUnavailable);
        }

        object? outbox = null;
        var postgres = true;
        try
        {
            await using var command = db.CreateCommand("""
                SELECT (SELECT count(*) FROM events_pending),
                       (SELECT COALESCE(max(s.last_sequence - c.last_sequence), 0)
                        FROM event_cursors c JOIN tenant_event_sequences s ON s.tenant_id = c.tenant_id),
                       (SELECT count(*) FROM bot_replies),
                       (SELECT count(*) FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now())
                """);
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            outbox = new
            {
                unnumbered_events = reader.GetInt64(0), consumer_lag = reader.GetInt64(1), bot_replies_pending = reader.GetInt64(2),
                webhooks_due = reader.GetInt64(3),
            };
        }
        catch (Exception ex) when (DependencyOutages.Cause(ex) is not null)
        {
            postgres = false;
        }

        var redis = services.GetService<Scaling.RedisConnection>() is { } backplane
            ? await backplane.PingAsync() ? "up" : "degraded"
            : "not configured";
        var brain = services.GetService<BrainCircuit>()?.State ?? "development";
        var notifications = services.GetRequiredService<PostgresListener>().Listening ? "listening" : "lost";
        var status = postgres ? redis == "degraded" || brain != "closed" && brain != "development" ? "degraded" : "ready" : "not_ready";
        return Results.Json(new { status, postgres = postgres ? "up" : "down", notifications, redis, brain, outbox },
            statusCode: postgres ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }
}
