using Bloonio.Relay.Core.Events;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Bloonio.Relay.Data.Events;

/// <summary>
/// Numbers committed events per tenant (1, 2, 3 …, no gap), in the order they became visible: one pass numbers every
/// event committed before it began, oldest insert first. One sequencer at a time in the whole cluster (a transaction
/// lock), so the per-tenant counters are written by it alone. Writers queue each event in <c>events_pending</c> in its own
/// transaction; a pass moves the oldest committed ones to <c>event_numbers</c> (the event rows are never updated). Readers
/// (the feed, the consumers) read numbered events only, so they never see a number followed later by a smaller one.
/// </summary>
public sealed class EventSequencer(NpgsqlDataSource dataSource, ILogger<EventSequencer>? logger = null) : IEventSequencer
{
    private readonly ILogger _logger = logger ?? NullLogger<EventSequencer>.Instance;
    private const int Batch = 5000;
    private static readonly long LockKey = 0x626c6f6f6e696f01; // "bloonio" + 1
    private readonly SemaphoreSlim _pass = new(1, 1);
    private long _begun; // the last catch-up that began (under _pass)
    private long _finished; // the last catch-up that finished without an error
    private long _sinceVacuum; // events this process numbered since it last vacuumed the queue (under _pass)
    private int _vacuuming; // 1 while a vacuum of the queue runs

    /// <summary>The last vacuum of the queue this process started (a completed task when none): for tests.</summary>
    public Task Vacuuming { get; private set; } = Task.CompletedTask;

    /// <summary>The queue is vacuumed by the sequencer after this many events (see <see cref="VacuumQueueAsync"/>).</summary>
    public const int VacuumEvery = 20_000;

    public async Task<int> CatchUpAsync(CancellationToken ct)
    {
        // One catch-up at a time in this process. A catch-up numbers every event committed before it began, so a caller
        // that waited while one began after its call, and finished, has nothing left to ask for: it returns without a
        // pass of its own (the month's count asks for one every 5 s per tenant, the loop with every wake; without this,
        // each queued for the cluster-wide lock to find nothing).
        var needed = Volatile.Read(ref _begun) + 1;
        await _pass.WaitAsync(ct);
        try
        {
            if (_finished >= needed)
            {
                return 0;
            }

            var generation = ++_begun;
            // Another pass follows only when this one stopped at its batch's limit: what commits later wakes the sequencer
            // of its own node (a pass that only confirmed there was nothing left was half of all passes).
            var total = 0;
            int numbered;
            do
            {
                numbered = await PassAsync(ct);
                total += numbered;
            }
            while (numbered == Batch);

            _finished = generation;
            _sinceVacuum += total;
            if (_sinceVacuum >= VacuumEvery && Interlocked.CompareExchange(ref _vacuuming, 1, 0) == 0)
            {
                // In the background: no caller (a feed's read, the month's count) waits for it, and no caller's token cancels it.
                _sinceVacuum = 0;
                Vacuuming = Task.Run(VacuumQueueAsync, CancellationToken.None);
            }

            return total;
        }
        finally
        {
            _pass.Release();
        }
    }

    /// <summary>
    /// Every numbered event leaves a dead entry at the head of the queue's index, and a pass walks over all of them to
    /// reach the first live one: B-tree pages that take no inserts are cleaned by VACUUM only, and autovacuum looks at a
    /// table at most once a minute (autovacuum_naptime). At 10 000 messages a second that was 600 000 dead entries, a
    /// pass of 25 ms instead of 2, every pass, until autovacuum came (PostgreSQL's log under the bench's P2). So the
    /// sequencer vacuums its queue itself every <see cref="VacuumEvery"/> events: the queue is small, a few ms. SKIP_LOCKED:
    /// a node whose colleague (or autovacuum) is vacuuming it goes on. TRUNCATE false: giving the queue's empty tail pages
    /// back would take a lock that stops every writer of events. A failure is logged and the next vacuum comes
    /// <see cref="VacuumEvery"/> events later (autovacuum is still there).
    /// </summary>
    private async Task VacuumQueueAsync()
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            await connection.ExecuteAsync(new CommandDefinition("VACUUM (SKIP_LOCKED, TRUNCATE false) events_pending", commandTimeout: 120));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            _logger.LogWarning(ex, "Vacuuming the event queue failed; autovacuum will see to it");
        }
        finally
        {
            Volatile.Write(ref _vacuuming, 0);
        }
    }

    /// <summary>
    /// One pass: the oldest committed events of the queue, numbered per tenant in insert order into event_numbers (the
    /// event rows themselves are not touched: an update would leave a dead copy of each for vacuum to clean).
    /// </summary>
    /// <remarks>
    /// The batch is taken as an array, read once, then deleted through the key: no join the planner could turn around.
    /// It was <c>event_row IN (SELECT … LIMIT n)</c>, and on a queue whose statistics said it was empty (a young queue,
    /// or one vacuumed while empty: its usual state) the planner ran that subquery again for every row it deleted, a
    /// pass quadratic in its batch: under a burst, 3 587 events took 2.2 s, the queue grew while the pass ran, the next
    /// pass took a full batch of 5 000 and 27 s (the benchmark's P1 fell from 11 000 to 6 000 messages a second in such
    /// runs, PostgreSQL's CPU per message tripled). A plan is kept for a prepared statement, so one bad plan stayed.
    /// </remarks>
    internal static readonly string PassSql = $"""
        WITH taken AS (
            DELETE FROM events_pending
            WHERE event_row = ANY (ARRAY(SELECT event_row FROM events_pending ORDER BY event_row LIMIT {Batch}))
            RETURNING event_row, tenant_id
        ), pending AS (
            SELECT event_row, tenant_id, row_number() OVER (PARTITION BY tenant_id ORDER BY event_row) AS n FROM taken
        ), counts AS (
            -- An entry whose tenant is gone (deleted by hand in a way that fired no trigger: TRUNCATE) leaves the queue
            -- unnumbered, instead of failing every pass on the counters' key to tenants.
            SELECT tenant_id, count(*) AS k FROM pending p WHERE EXISTS (SELECT 1 FROM tenants t WHERE t.tenant_id = p.tenant_id)
            GROUP BY tenant_id
        ), bumped AS (
            INSERT INTO tenant_event_sequences AS s (tenant_id, last_sequence) SELECT tenant_id, k FROM counts
            ON CONFLICT (tenant_id) DO UPDATE SET last_sequence = s.last_sequence + EXCLUDED.last_sequence
            RETURNING s.tenant_id, s.last_sequence
        )
        INSERT INTO event_numbers (tenant_id, sequence, event_row)
        SELECT p.tenant_id, b.last_sequence - c.k + p.n, p.event_row
        FROM pending p JOIN counts c ON c.tenant_id = p.tenant_id JOIN bumped b ON b.tenant_id = p.tenant_id
        """;

    /// <returns>How many events were numbered; 0 when none was pending.</returns>
    private async Task<int> PassAsync(CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // Every numbered event leaves a dead row in the queue until vacuum. An index scan marks the entries it finds dead
        // (later scans skip them); a bitmap scan does not, and would read them all again; a sequential scan reads every
        // dead row. So this transaction reads the queue through its primary key only.
        await connection.ExecuteAsync(new CommandDefinition(
            $"SELECT pg_advisory_xact_lock(@LockKey), {Common.IndexPaths.NoScans}",
            new { LockKey }, tx, cancellationToken: ct));

        var numbered = await connection.ExecuteAsync(new CommandDefinition(PassSql, transaction: tx, cancellationToken: ct));
        if (numbered > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition($"SELECT pg_notify('{Notifications.Sequenced}', '')", transaction: tx,
                cancellationToken: ct));
        }

        await tx.CommitAsync(ct);
        return numbered;
    }
}
