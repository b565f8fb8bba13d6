using Dapper;
using Npgsql;
using NUnit.Framework;
using Bloonio.Relay.Tests.Infrastructure;

namespace Bloonio.Relay.Tests.Concurrency;

/// <summary>What must hold in the database after any race, whoever won: checked against the real tables.</summary>
public static class Invariants
{
    public static async Task CheckAsync(Guid tenantId)
    {
        await using var db = new NpgsqlConnection(TestDatabase.ConnectionString);

        // A session and its open assignment agree: waiting ⇔ a waiting one without an operator, assigned ⇔ an assigned one
        // with an operator, open or closed ⇔ none (at most one open assignment per session is also a unique index).
        var mismatches = (await db.QueryAsync<(Guid Session, string Status, string? Assignment, Guid? Operator, int Open)>("""
            SELECT s.session_id, s.status, min(a.status), (array_agg(a.operator_id))[1], count(a.assignment_id)::int
            FROM sessions s LEFT JOIN assignments a ON a.session_id = s.session_id AND a.status <> 'closed'
            WHERE s.tenant_id = @tenantId GROUP BY s.session_id, s.status
            """, new { tenantId }))
            .Where(r => r.Open > 1 || r.Status switch
            {
                "waiting" => r.Assignment != "waiting" || r.Operator is not null,
                "assigned" => r.Assignment != "assigned" || r.Operator is null,
                _ => r.Open != 0,
            })
            .ToList();
        Assert.That(mismatches, Is.Empty, "every session agrees with its open assignment (never two, never an owner missing)");

        // The journal: seq 1, 2, 3 … with no gap, and last_seq is its end.
        var gaps = (await db.QueryAsync<(Guid Session, int LastSeq, int Count, int Max)>("""
            SELECT s.session_id, s.last_seq, count(m.message_id)::int, COALESCE(max(m.seq), 0)
            FROM sessions s LEFT JOIN messages m ON m.session_id = s.session_id
            WHERE s.tenant_id = @tenantId GROUP BY s.session_id, s.last_seq
            """, new { tenantId })).Where(r => r.Count != r.LastSeq || r.Max != r.LastSeq).ToList();
        Assert.That(gaps, Is.Empty, "every journal is gapless and ends at last_seq");

        // Nobody holds more than max_concurrent (the membership's own, else the tenant's).
        var over = (await db.QueryAsync<(Guid Operator, int Held, int Max)>("""
            SELECT a.operator_id, count(*)::int, COALESCE(min(m.max_concurrent), min((t.configuration->>'max_concurrent')::int), 5)
            FROM assignments a
            JOIN operator_memberships m ON m.tenant_id = a.tenant_id AND m.operator_id = a.operator_id
            JOIN tenants t ON t.tenant_id = a.tenant_id
            WHERE a.tenant_id = @tenantId AND a.status = 'assigned' GROUP BY a.operator_id
            """, new { tenantId })).Where(r => r.Held > r.Max).ToList();
        Assert.That(over, Is.Empty, "never more than max_concurrent");

        // The event feed: the numbered events are 1, 2, 3 … with no gap (the sequencer numbers new ones after their commit).
        var (events, last) = await db.QuerySingleAsync<(long Count, long Last)>(
            "SELECT count(*), COALESCE(max(sequence), 0) FROM event_numbers WHERE tenant_id = @tenantId", new { tenantId });
        Assert.That(events, Is.EqualTo(last), "the tenant's event sequence is gapless");
    }

    public static async Task<Guid> OpenAssignmentAsync(Guid sessionId)
    {
        await using var db = new NpgsqlConnection(TestDatabase.ConnectionString);
        return await db.QuerySingleAsync<Guid>("SELECT assignment_id FROM assignments WHERE session_id = @sessionId AND status <> 'closed'",
            new { sessionId });
    }

    public static async Task<IReadOnlyList<(int Seq, string Sender, string? ClientMessageId, string Text)>> JournalAsync(Guid sessionId)
    {
        await using var db = new NpgsqlConnection(TestDatabase.ConnectionString);
        return (await db.QueryAsync<(int, string, string?, string)>(
            "SELECT seq, sender_type, client_message_id, text FROM messages WHERE session_id = @sessionId ORDER BY seq", new { sessionId })).ToList();
    }
}
