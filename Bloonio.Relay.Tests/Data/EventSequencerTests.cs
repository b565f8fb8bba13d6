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
