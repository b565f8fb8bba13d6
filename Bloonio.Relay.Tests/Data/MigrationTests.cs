using Bloonio.Relay.Data.Migrations;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>Migrations apply once each, under the advisory lock, and the schema refuses wrong states.</summary>
public sealed class MigrationTests
{
    /// <summary>The shared test database, migrated (run alone, no relay of the suite has started yet to do it).</summary>
    [OneTimeSetUp]
    public Task MigrateAsync() => TestDatabase.MigrateAsync(TestDatabase.ConnectionString);

    [Test]
    public void ScriptsAreNumberedAndEmbeddedInOrder()
    {
        var scripts = MigrationRunner.Scripts();
        Assert.That(scripts.Select(s => s.Version), Is.Ordered.And.Unique);
        Assert.That(scripts.Select(s => s.Version), Has.All.Match("^[0-9]{4}$"));
        Assert.That(scripts.Select(s => s.Sql), Has.All.StartWith("-- purpose:"));
    }

    [Test]
    public async Task NodesStartingTogetherApplyEachScriptOnce()
    {
        var connectionString = await TestDatabase.CreateExtraAsync("migrate");
        try
        {
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            var runners = Enumerable.Range(0, 4).Select(_ => new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance)).ToList();
            var applied = await Task.WhenAll(runners.Select(r => Task.Run(() => r.RunAsync(default))));

            Assert.That(applied.Sum(a => a.Count), Is.EqualTo(MigrationRunner.Scripts().Count), "each script applied by exactly one node");
            Assert.That(await runners[0].RunAsync(default), Is.Empty, "nothing left on a second start");
            await using var connection = await dataSource.OpenConnectionAsync();
            Assert.That(await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM schema_migrations"), Is.EqualTo(MigrationRunner.Scripts().Count));
        }
        finally
        {
            await TestDatabase.DropExtraAsync(connectionString);
        }
    }

    [TestCase("INSERT INTO operators (operator_id, email, password_hash, created_at) VALUES (gen_random_uuid(), 'Upper@Case.com', 'h', now())",
        TestName = "an email not in lower case")]
    [TestCase("INSERT INTO operators (operator_id, email, password_hash, created_at) VALUES (gen_random_uuid(), 'dup@x.co', 'h', now()), (gen_random_uuid(), 'dup@x.co', 'h', now())",
        TestName = "two operators with one email")]
    [TestCase("INSERT INTO tenants (tenant_id, name, status, created_at, updated_at) VALUES (gen_random_uuid(), 'x', 'paused', now(), now())",
        TestName = "an unknown tenant status")]
    [TestCase("WITH t AS (INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (gen_random_uuid(), 'x', now(), now()) RETURNING tenant_id), o AS (INSERT INTO operators (operator_id, email, password_hash, created_at) VALUES (gen_random_uuid(), 'm@x.co', 'h', now()) RETURNING operator_id) INSERT INTO operator_memberships (tenant_id, operator_id, display_name, created_at, updated_at) SELECT tenant_id, operator_id, 'a', now(), now() FROM t, o UNION ALL SELECT tenant_id, operator_id, 'b', now(), now() FROM t, o",
        TestName = "two memberships of one operator in one tenant")]
    [TestCase("WITH t AS (INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (gen_random_uuid(), 'x', now(), now()) RETURNING tenant_id) INSERT INTO tenant_secrets (secret_id, tenant_id, ciphertext, created_at) SELECT gen_random_uuid(), tenant_id, '\\x01'::bytea, now() FROM t UNION ALL SELECT gen_random_uuid(), tenant_id, '\\x02'::bytea, now() FROM t",
        TestName = "two current secrets for one tenant")]
    [TestCase("WITH t AS (INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (gen_random_uuid(), 'x', now(), now()) RETURNING tenant_id), o AS (INSERT INTO operators (operator_id, email, password_hash, created_at) VALUES (gen_random_uuid(), 'k@x.co', 'h', now()) RETURNING operator_id) INSERT INTO operator_memberships (tenant_id, operator_id, display_name, routing_keys, created_at, updated_at) SELECT tenant_id, operator_id, 'a', '{}', now(), now() FROM t, o",
        TestName = "an empty routing key list instead of null")]
    public void TheSchemaRefuses(string sql)
    {
        var refused = Assert.ThrowsAsync<PostgresException>(async () =>
        {
            await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
            await connection.OpenAsync();
            await using var tx = await connection.BeginTransactionAsync();
            await connection.ExecuteAsync(sql, transaction: tx);
            await tx.RollbackAsync();
        });
        Assert.That(refused!.SqlState, Does.StartWith("23"), "an integrity constraint refused it (not, say, a missing table)");
    }

    [Test]
    public async Task ADeletedTenantTakesItsJournalWithIt()
    {
        // The journal has no foreign keys on its write path (0025); a tenant deleted by hand still takes its sessions'
        // messages, its events, their numbers and its queue entries with it, and leaves another tenant's alone.
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.OpenAsync();
        await using var tx = await connection.BeginTransactionAsync();
        var (gone, kept) = (Guid.NewGuid(), Guid.NewGuid());
        foreach (var tenant in new[] { gone, kept })
        {
            await connection.ExecuteAsync("""
                INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (@tenant, 'x', now(), now());
                WITH s AS (
                    INSERT INTO sessions (session_id, tenant_id, visitor_id, mode, resume_token_hash, created_at, updated_at)
                    VALUES (gen_random_uuid(), @tenant, gen_random_uuid(), 'human', decode(md5(gen_random_uuid()::text), 'hex'), now(), now()) RETURNING session_id)
                INSERT INTO messages (message_id, tenant_id, session_id, seq, sender_type, text, created_at)
                SELECT gen_random_uuid(), @tenant, session_id, seq, 'visitor', 'hello', now() FROM s, generate_series(1, 2) AS seq;
                WITH e AS (
                    INSERT INTO events (event_id, tenant_id, type, data, created_at)
                    SELECT gen_random_uuid(), @tenant, 'message.created', '{}', now() FROM generate_series(1, 3) RETURNING id, tenant_id)
                , numbered AS (SELECT id, tenant_id, row_number() OVER (ORDER BY id) AS n FROM e)
                , pending AS (INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM numbered WHERE n = 3)
                INSERT INTO event_numbers (tenant_id, sequence, event_row) SELECT tenant_id, n, id FROM numbered WHERE n < 3;
                """, new { tenant }, tx);
        }

        await connection.ExecuteAsync("DELETE FROM tenants WHERE tenant_id = @gone", new { gone }, tx);

        const string Counts = """
            SELECT (SELECT count(*) FROM messages WHERE tenant_id = @t), (SELECT count(*) FROM events WHERE tenant_id = @t),
                   (SELECT count(*) FROM event_numbers WHERE tenant_id = @t), (SELECT count(*) FROM events_pending WHERE tenant_id = @t)
            """;
        Assert.That(await connection.QuerySingleAsync<(long, long, long, long)>(Counts, new { t = gone }, tx), Is.EqualTo((0L, 0L, 0L, 0L)));
        Assert.That(await connection.QuerySingleAsync<(long, long, long, long)>(Counts, new { t = kept }, tx), Is.EqualTo((2L, 3L, 2L, 1L)));
        await tx.RollbackAsync();
    }

    [Test]
    public async Task TheFeedTheSequencerAndRetentionReadThroughIndexes()
    {
        // Never the whole events table: the feed reads a tenant's numbers and joins their rows, the sequencer takes the
        // oldest of the queue, retention finds what is left to purge through partial indexes. Generic plans, as prepared
        // statements get: the parameters' values prove nothing.
        (string Query, string Index)[] readers =
        [
            ("SELECT e.event_id FROM event_numbers n JOIN events e ON e.id = n.event_row WHERE n.tenant_id = $1 AND n.sequence > $2 AND n.sequence <= $2 + 200 ORDER BY n.sequence LIMIT 200", "event_numbers_pkey"),
            ("SELECT e.event_id FROM event_numbers n JOIN events e ON e.id = n.event_row WHERE n.tenant_id = $1 AND n.sequence > $2 AND n.sequence <= $2 + 200 ORDER BY n.sequence LIMIT 200", "events_row"),
            // The consumers' read of many tenants at once (EventCursorStore.ReadManyAsync).
            ("SELECT e.event_id FROM jsonb_to_recordset(jsonb_build_array(jsonb_build_object('t', $1, 'a', $2))) AS c(t uuid, a bigint) JOIN tenant_event_sequences s ON s.tenant_id = c.t CROSS JOIN LATERAL (SELECT n.sequence, n.event_row FROM event_numbers n WHERE n.tenant_id = c.t AND n.sequence > c.a AND n.sequence <= c.a + 200 ORDER BY n.sequence LIMIT 200) n JOIN events e ON e.id = n.event_row WHERE e.type = 'session.escalated' OR n.sequence = LEAST(c.a + 200, s.last_sequence)", "event_numbers_pkey"),
            ("SELECT e.event_id FROM jsonb_to_recordset(jsonb_build_array(jsonb_build_object('t', $1, 'a', $2))) AS c(t uuid, a bigint) JOIN tenant_event_sequences s ON s.tenant_id = c.t CROSS JOIN LATERAL (SELECT n.sequence, n.event_row FROM event_numbers n WHERE n.tenant_id = c.t AND n.sequence > c.a AND n.sequence <= c.a + 200 ORDER BY n.sequence LIMIT 200) n JOIN events e ON e.id = n.event_row WHERE e.type = 'session.escalated' OR n.sequence = LEAST(c.a + 200, s.last_sequence)", "events_row"),
            ("SELECT event_row FROM events_pending ORDER BY event_row LIMIT 5000", "events_pending_pkey"),
            ("SELECT event_id FROM events WHERE type = 'message.created' AND data ? 'text' AND created_at < $3 LIMIT 1000", "events_message_text"),
            ("SELECT event_id FROM events WHERE type = 'note.created' AND data ? 'text' AND created_at < $3 LIMIT 1000", "events_note_text"),
        ];
        var connectionString = await TestDatabase.CreateExtraAsync("plans");
        try
        {
            await TestDatabase.MigrateAsync(connectionString);
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            await connection.ExecuteAsync("SET enable_seqscan = off; SET enable_bitmapscan = off; SET plan_cache_mode = force_generic_plan");
            foreach (var (query, index) in readers)
            {
                await connection.ExecuteAsync($"PREPARE reader(uuid, bigint, timestamptz) AS {query}");
                var plan = string.Join("\n", await connection.QueryAsync<string>("EXPLAIN EXECUTE reader(gen_random_uuid(), 0, now())"));
                await connection.ExecuteAsync("DEALLOCATE reader");
                Assert.That(plan, Does.Contain(index).And.Not.Contain("Seq Scan"), plan);
            }
        }
        finally
        {
            await TestDatabase.DropExtraAsync(connectionString);
        }
    }
}
