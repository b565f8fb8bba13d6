using System.Text.Json;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;

namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// Every escalation gets its ticket: a session that escalated without one (the brain was down, or had just failed the
/// bot's reply) is asked for again, batch after batch with the dispatcher's back-off, until the brain answers; the
/// ticket fills <c>ticket_id</c> and emits <c>session.ticket_created</c>.
/// </summary>
public sealed class TicketConsumer(ISessionRepository sessions, IBrain brain, TimeProvider clock) : IEventConsumer
{
    public string Name => "brain.tickets";

    public IReadOnlySet<string>? Types { get; } = new HashSet<string> { EventTypes.SessionEscalated, EventTypes.SessionOfflineMessage };

    public async Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        foreach (var e in events)
        {
            using var data = JsonDocument.Parse(e.DataJson);
            if (data.RootElement.TryGetProperty("ticket_id", out var ticket) && ticket.ValueKind == JsonValueKind.String)
            {
                continue; // made at the escalation
            }

            var sessionId = data.RootElement.GetProperty("session_id").GetGuid();
            var session = await sessions.GetAsync(tenantId, sessionId, ct);
            if (session is null || session.TicketId is not null)
            {
                continue; // gone (retention), or made meanwhile (a sweep, another node)
            }

            var reason = data.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            var tail = (await sessions.ListMessagesAsync(tenantId, sessionId, Math.Max(0, session.LastSeq - 10), 10, ct))
                .Select(m => $"{m.Sender.Type}: {m.Text}").ToList();
            // A brain still down throws: the batch is kept and retried after the back-off.
            var ticketId = await brain.CreateTicketAsync(new TicketRequest(tenantId, sessionId, reason ?? "escalated", session.RoutingKey,
                new BrainVisitor(session.VisitorId, session.VisitorDisplayName, session.VisitorEmail), tail), ct);
            await sessions.SetTicketAsync(tenantId, sessionId, ticketId, clock.GetUtcNow(), ct);
        }
    }
}
