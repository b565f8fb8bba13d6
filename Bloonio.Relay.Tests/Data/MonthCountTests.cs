using Bloonio.Relay.Data.Events;
using Bloonio.Relay.Data.Quotas;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Data;

/// <summary>
/// The month's count that the quota decides on counts every message committed before it is read: those usage counted,
/// those numbered past its cursor, and those committed but not numbered yet (a node's own messages must never count zero
/// times, or one node could let a month pass its limit).
/// </summary>
public sealed class MonthCountTests : MigratedDatabaseTestBase
{
    [Test]
    public async Task CountsCommittedMessagesWhetherNumberedOrNot()
    {
        var tenant = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;
        await using (var connection = await DataSource.OpenConnectionAsync())
        {
            // 3 visitor messages numbered, 2 more committed and still in the queue, 1 system notice (never counted), and
            // another tenant's message.
            await connection.ExecuteAsync("""
                INSERT INTO tenants (tenant_id, name, created_at, updated_at) VALUES (@tenant, 'x', now(), now()), (@other, 'y', now(), now());
                WITH e AS (
                    INSERT INTO events (event_id, tenant_id, type, data, created_at)
                    SELECT gen_random_uuid(), CASE WHEN i = 7 THEN @other ELSE @tenant END, 'message.created',
                           jsonb_build_object('sender', jsonb_build_object('type', CASE WHEN i = 6 THEN 'system' ELSE 'visitor' END)), @now
                    FROM generate_series(1, 7) AS i RETURNING id, tenant_id)
                , ranked AS (SELECT id, tenant_id, row_number() OVER (ORDER BY id) AS n FROM e)
                , numbered AS (INSERT INTO event_numbers (tenant_id, sequence, event_row) SELECT tenant_id, n, id FROM ranked WHERE n <= 3)
                , counter AS (INSERT INTO tenant_event_sequences (tenant_id, last_sequence) VALUES (@tenant, 3))
                INSERT INTO events_pending (event_row, tenant_id) SELECT id, tenant_id FROM ranked WHERE n > 3;
                """, new { tenant, other = Guid.NewGuid(), now });
        }

        var store = new UsageStore(DataSource, new EventCommits(), new EventSequencer(DataSource));
        var month = Bloonio.Relay.Core.Quotas.MonthlyQuota.MonthOf(now);

        Assert.That(await store.MessagesThisMonthAsync(tenant, month, default), Is.EqualTo(5));
    }
}
