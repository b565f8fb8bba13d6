namespace Bloonio.Relay.Core.Tenants;

/// <summary>SPEC 8: every event a tenant can subscribe to.</summary>
public static class WebhookEventTypes
{
    public static readonly IReadOnlyList<string> All =
    [
        "session.created", "message.created", "session.escalated", "assignment.waiting", "assignment.accepted",
        "assignment.released", "assignment.transferred", "assignment.closed", "session.closed",
        "operator.provisioned", "operator.deprovisioned", "key.rotated", "quota.warning", "quota.exceeded", "session.ticket_created", "session.tagged", "note.created", "session.rated", "session.offline_message",
    ];
}
