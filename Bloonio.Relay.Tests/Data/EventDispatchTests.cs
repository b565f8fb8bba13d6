using System.Collections.Concurrent;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>
/// A consumer's pass over many tenants at once: their events are read in one statement and their cursors advanced in one,
/// yet each tenant's batch is its own (its order, its failure, its back-off).
/// </summary>
public sealed class EventDispatchTests : MigratedDatabaseTestBase
{
    [Test]
    public async Task APassOverManyTenantsHandsEachItsOwnEventsInOrderOnceAndMovesEveryCursor()
    {
        // 60 tenants (more than the 50 a round leases), one of them with more events than a batch holds, one whose batch
        // fails; half the events of a type the recorder does not read.
        var tenants = new List<(Guid Id, int Events)>();
        for (var i = 0; i < 60; i++)
        {
            tenants.Add((await TenantAsync(), i == 7 ? 450 : 1 + i % 5 * 2));
        }

        foreach (var (id, events) in tenants)
        {
            await WriteEventsAsync(id, events);
        }

        // And one with events of no type the recorder reads: its cursor must still move past them.
        var unread = await TenantAsync();
        await WriteEventsAsync(unread, 5, firstType: "session.created");

        var failing = tenants[3].Id;
        var recorder = new Recorder(failing);
        var handler = new DispatchEventsHandler([recorder, new Inactive()], new EventCursorStore(DataSource), new EventSequencer(DataSource),
            TimeProvider.System, NullLogger<DispatchEventsHandler>.Instance);

        await handler.Handle(new DispatchEventsCommand(), default);

        await using var db = await DataSource.OpenConnectionAsync();
        foreach (var (id, events) in tenants)
        {
            var expected = Enumerable.Range(1, events).Where(s => s % 2 == 1).Select(s => (long)s).ToList(); // message.created
            var seen = recorder.Seen.GetValueOrDefault(id)?.ToList() ?? [];
            var cursors = (await db.QueryAsync<(string Consumer, long Last, int Attempts, bool Leased)>(
                "SELECT consumer, last_sequence, attempts, leased_until IS NOT NULL FROM event_cursors WHERE tenant_id = @id ORDER BY consumer",
                new { id })).ToDictionary(c => c.Consumer);
            if (events == 0)
            {
                Assert.That(seen, Is.Empty);
                continue;
            }

            Assert.That(cursors["inactive"], Is.EqualTo(("inactive", (long)events, 0, false)), $"tenant {id}: past everything, unread");
            if (id == failing)
            {
                Assert.That(cursors["recorder"], Is.EqualTo(("recorder", 0L, 1, false)), "the failed batch is kept, backed off");
                continue;
            }

            Assert.That(seen, Is.EqualTo(expected), $"tenant {id}: its own message events, in order, once");
            Assert.That(cursors["recorder"], Is.EqualTo(("recorder", (long)events, 0, false)), $"tenant {id}: its cursor at its end");
        }

        Assert.That(recorder.Seen.ContainsKey(unread), Is.False);
        Assert.That(await db.QuerySingleAsync<long>("SELECT last_sequence FROM event_cursors WHERE tenant_id = @unread AND consumer = 'recorder'",
            new { unread }), Is.EqualTo(5), "past events it does not read");
        Assert.That(recorder.Foreign, Is.Empty, "no batch held another tenant's event, an event of another type or one without its data");
        Assert.That(recorder.Seen.ContainsKey(failing), Is.False);
        Assert.That(await handler.Handle(new DispatchEventsCommand(), default), Is.Zero, "a second pass finds nothing left");
    }

    [Test]
    public async Task ARoundOfASlowConsumerAdvancesWhatItHandledBeforeItEnds()
    {
        // A consumer taking its time (a brain) must not hold what it did until the round's end, past the others' leases:
        // after 10 s of a round, the cursors handled so far are advanced. Here each batch takes 11 s of a stepped clock.
        var tenants = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            tenants.Add(await TenantAsync());
            await WriteEventsAsync(tenants[^1], 1);
        }

        var clock = new SteppingClock(DateTimeOffset.UtcNow);
        var slow = new Slow(DataSource, clock, tenants);
        var handler = new DispatchEventsHandler([slow], new EventCursorStore(DataSource), new EventSequencer(DataSource), clock,
            NullLogger<DispatchEventsHandler>.Instance);

        Assert.That(await handler.Handle(new DispatchEventsCommand(), default), Is.EqualTo(3));
        Assert.That(slow.AdvancedBefore, Is.EqualTo(new[] { 0, 1, 2 }),
            "when each batch began, every batch handled before it (11 s each) had its cursor advanced");
    }

    /// <summary>A clock that moves only when told.</summary>
    private sealed class SteppingClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }

    /// <summary>Takes 11 s of the clock per batch, and notes how many of this consumer's cursors had moved when it began.</summary>
    private sealed class Slow(Npgsql.NpgsqlDataSource dataSource, SteppingClock clock, List<Guid> mine) : IEventConsumer
    {
        public List<int> AdvancedBefore { get; } = [];

        public string Name => "slow";

        public IReadOnlySet<string>? Types => null;

        public Task<bool> ActiveForAsync(Guid tenantId, CancellationToken ct) => Task.FromResult(mine.Contains(tenantId)); // not the other test's

        public async Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
        {
            await using var db = await dataSource.OpenConnectionAsync(ct);
            AdvancedBefore.Add(await db.ExecuteScalarAsync<int>(
                "SELECT count(*) FROM event_cursors WHERE consumer = 'slow' AND last_sequence > 0 AND tenant_id = ANY(@mine)", new { mine = mine.ToArray() }));
            clock.Advance(TimeSpan.FromSeconds(11));
        }
    }

    private sealed class Recorder(Guid failing) : IEventConsumer
    {
        public ConcurrentDictionary<Guid, ConcurrentQueue<long>> Seen { get; } = new();

        public ConcurrentQueue<string> Foreign { get; } = new();

        public string Name => "recorder";

        public IReadOnlySet<string>? Types { get; } = new HashSet<string> { EventTypes.MessageCreated };

        public Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
        {
            if (tenantId == failing)
            {
                throw new InvalidOperationException("this tenant's endpoint is down");
            }

            foreach (var e in events)
            {
                if (e.TenantId != tenantId || e.Type != EventTypes.MessageCreated || !e.DataJson.Contains($"\"n\": {e.Sequence}", StringComparison.Ordinal))
                {
                    Foreign.Enqueue($"{tenantId}: {e.TenantId} {e.Sequence} {e.Type} {e.DataJson}");
                }

                Seen.GetOrAdd(tenantId, _ => new ConcurrentQueue<long>()).Enqueue(e.Sequence);
            }

            return Task.CompletedTask;
        }
    }

    private sealed class Inactive : IEventConsumer
    {
        public string Name => "inactive";

        public IReadOnlySet<string>? Types => null;

        public Task<bool> ActiveForAsync(Guid tenantId, CancellationToken ct) => Task.FromResult(false);

        public Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct) =>
            throw new AssertionException("an inactive consumer is never handed events");
    }

    /// <summary>Events 1..count of a tenant, committed in order (so the sequencer numbers them 1..count), odd ones
    /// message.created (or all <paramref name="firstType"/>); each carries its number in its data.</summary>
    private async Task WriteEventsAsync(Guid tenant, int count, string? firstType = null)
    {
        await using var db = await DataSource.OpenConnectionAsync();
        await db.ExecuteAsync("""
            WITH e AS (
                INSERT INTO events (event_id, tenant_id, type, data, created_at)
                SELECT gen_random_uuid(), @tenant, COALESCE(@firstType, CASE WHEN n % 2 = 1 THEN 'message.created' ELSE 'session.created' END),
                       jsonb_build_object('n', n), now()
                FROM generate_series(1, @count) n ORDER BY n RETURNING id, tenant_id)
            INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM e
            """, new { tenant, count, firstType });
    }
}
