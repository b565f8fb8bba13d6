using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>The sequencer's catch-up, called by many at once (the loop, every month's count), and its queue's strays.</summary>
public sealed class EventSequencerTests : MigratedDatabaseTestBase
{
    [Test]
    public async Task ACatchUpReturnsOnlyOnceEverythingCommittedBeforeItsCallIsNumbered()
    {
        // Callers race writers: a caller that returns without a pass of its own (one began after its call and finished)
        // must still find every event committed before its call numbered, and the numbers stay gapless.
        var sequencer = new EventSequencer(DataSource);
        var tenant = await TenantAsync();
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        await Task.WhenAll(Enumerable.Range(0, 8).Select(async caller =>
        {
            for (var round = 0; round < 10; round++)
            {
                var written = await WriteEventsAsync(tenant, 3);
                await sequencer.CatchUpAsync(default);
                await using var connection = await DataSource.OpenConnectionAsync();
                var unnumbered = await connection.ExecuteScalarAsync<long>(
                    "SELECT count(*) FROM events_pending WHERE event_row = ANY(@written)", new { written });
                if (unnumbered > 0)
                {
                    failures.Add($"caller {caller}, round {round}: {unnumbered} of its events not numbered after its catch-up");
                }
            }
        }));

        Assert.That(failures, Is.Empty);
        await using var db = await DataSource.OpenConnectionAsync();
        var (count, max) = await db.QuerySingleAsync<(long, long)>(
            "SELECT count(*), COALESCE(max(sequence), 0) FROM event_numbers WHERE tenant_id = @tenant", new { tenant });
        Assert.That((count, max), Is.EqualTo((240L, 240L)), "gapless 1..240");
    }

    [Test]
    public async Task AQueueEntryWhoseTenantIsGoneLeavesTheQueueAndNumberingGoesOn()
    {
        var sequencer = new EventSequencer(DataSource);
        var tenant = await TenantAsync();
        var gone = Guid.NewGuid(); // events with no tenant row: a tenant truncated away, which fires no delete trigger
        var kept = await WriteEventsAsync(tenant, 2);
        var stray = await WriteEventsAsync(gone, 2);

        await sequencer.CatchUpAsync(default);

        await using var db = await DataSource.OpenConnectionAsync();
        Assert.That(await db.ExecuteScalarAsync<long>("SELECT count(*) FROM events_pending WHERE event_row = ANY(@ids)",
            new { ids = kept.Concat(stray).ToArray() }), Is.Zero, "both left the queue");
        Assert.That(await db.ExecuteScalarAsync<long>("SELECT count(*) FROM event_numbers WHERE event_row = ANY(@kept)", new { kept }),
            Is.EqualTo(2), "the live tenant's are numbered");
        Assert.That(await db.ExecuteScalarAsync<long>("SELECT count(*) FROM event_numbers WHERE tenant_id = @gone", new { gone }), Is.Zero);
    }

    [Test]
    public async Task TheSequencerVacuumsItsQueueAsItGoes()
    {
        // Numbered events leave dead entries at the head of the queue's index that every pass walks over; autovacuum
        // comes once a minute at best, so the sequencer vacuums the queue itself (here autovacuum is off for it).
        await using (var db = await DataSource.OpenConnectionAsync())
        {
            await db.ExecuteAsync("ALTER TABLE events_pending SET (autovacuum_enabled = false)");
        }

        try
        {
            var sequencer = new EventSequencer(DataSource);
            var tenant = await TenantAsync();
            var before = await VacuumsAsync();
            for (var round = 0; round < 5; round++)
            {
                await WriteEventsAsync(tenant, EventSequencer.VacuumEvery / 4);
                await sequencer.CatchUpAsync(default);
            }

            await sequencer.Vacuuming; // in the background, so that no caller waits for it

            Assert.That(await VacuumsAsync(), Is.GreaterThan(before), "the queue was vacuumed after the first 20 000 numbered");
        }
        finally
        {
            await using var db = await DataSource.OpenConnectionAsync();
            await db.ExecuteAsync("ALTER TABLE events_pending RESET (autovacuum_enabled)");
        }
    }

    [TestCase("")]
    [TestCase("SET LOCAL enable_hashagg = off; SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; SET LOCAL enable_material = off;")]
    public async Task APassReadsItsQueueOnceWhateverJoinsThePlannerWouldChoose(string planner)
    {
        // A pass read its batch with IN (SELECT … LIMIT n): a semi join, which a planner misled by the queue's statistics
        // (empty: its usual state) ran as a nested loop re-reading the subquery for every row, quadratic in the batch
        // (27 s for 5 000 in the benchmark). The batch is now an array read once: whatever join methods the planner
        // may use, each scan of the queue runs once. The same pass, explained, in a transaction rolled back.
        var tenant = await TenantAsync();
        await WriteEventsAsync(tenant, 2000);
        await using var db = await DataSource.OpenConnectionAsync();
        await using var tx = await db.BeginTransactionAsync();
        await db.ExecuteAsync($"SELECT {Bloonio.Relay.Data.Common.IndexPaths.NoScans}; {planner}", transaction: tx);
        var queued = await db.ExecuteScalarAsync<long>("SELECT count(*) FROM events_pending", transaction: tx);
        var plan = System.Text.Json.JsonDocument.Parse(await db.QuerySingleAsync<string>(
            $"EXPLAIN (ANALYZE, FORMAT JSON) {EventSequencer.PassSql}", transaction: tx)).RootElement[0].GetProperty("Plan");
        await tx.RollbackAsync();
        await new EventSequencer(DataSource).CatchUpAsync(default); // the queue left as the other tests expect it: numbered

        var queueScans = Nodes(plan).Where(n => n.TryGetProperty("Relation Name", out var r) && r.GetString() == "events_pending"
                                                && n.GetProperty("Node Type").GetString()!.Contains("Scan")).ToList();
        var deleted = Nodes(plan).Single(n => n.GetProperty("Node Type").GetString() == "ModifyTable"
                                              && n.GetProperty("Relation Name").GetString() == "events_pending");
        Assert.That(queued, Is.GreaterThanOrEqualTo(2000));
        Assert.That(deleted.GetProperty("Actual Rows").GetDouble(), Is.EqualTo(queued), "the pass took the whole queue");
        Assert.That(queueScans.Select(n => n.GetProperty("Actual Loops").GetDouble()), Is.Not.Empty.And.All.EqualTo(1), plan.ToString());
    }

    private static IEnumerable<System.Text.Json.JsonElement> Nodes(System.Text.Json.JsonElement node) =>
        node.TryGetProperty("Plans", out var children)
            ? children.EnumerateArray().SelectMany(Nodes).Prepend(node)
            : [node];

    private async Task<long> VacuumsAsync()
    {
        await using var db = await DataSource.OpenConnectionAsync();
        return await db.ExecuteScalarAsync<long>("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'events_pending'");
    }

    /// <summary>Events and their queue entries, committed, as the journal's writer leaves them.</summary>
    private async Task<long[]> WriteEventsAsync(Guid tenant, int count)
    {
        await using var db = await DataSource.OpenConnectionAsync();
        return (await db.QueryAsync<long>("""
            WITH e AS (
                INSERT INTO events (event_id, tenant_id, type, data, created_at)
                SELECT gen_random_uuid(), @tenant, 'message.created', '{}', now() FROM generate_series(1, @count) RETURNING id, tenant_id)
            INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM e RETURNING event_row
            """, new { tenant, count })).ToArray();
    }
}
