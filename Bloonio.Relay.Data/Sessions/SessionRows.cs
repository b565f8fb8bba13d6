using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Common;

namespace Bloonio.Relay.Data.Sessions;

internal static class SessionSql
{
    public const string SessionColumns = """
        s.session_id, s.tenant_id, s.visitor_id, s.external_user_id, s.mode, s.status, s.routing_key, s.visitor_display_name,
        s.visitor_email, s.ticket_id, s.last_seq, s.created_at, s.closed_at
        """;

    public const string MessageColumns = """
        m.message_id, m.tenant_id, m.session_id, m.seq, m.sender_type, m.sender_id, m.sender_display_name, m.text,
        m.client_message_id, m.created_at, m.extras::text AS extras_json
        """;

    public const string AssignmentColumns = """
        a.assignment_id, a.tenant_id, a.session_id, a.routing_key, a.status, a.operator_id, a.waiting_since, a.assigned_at, a.created_at
        """;
}

internal sealed class SessionRow
{
    public Guid SessionId { get; init; }
    public Guid TenantId { get; init; }
    public Guid VisitorId { get; init; }
    public string? ExternalUserId { get; init; }
    public string Mode { get; init; } = "";
    public string Status { get; init; } = "";
    public string? RoutingKey { get; init; }
    public string? VisitorDisplayName { get; init; }
    public string? VisitorEmail { get; init; }
    public string? TicketId { get; init; }
    public int LastSeq { get; init; }
    public DateTime CreatedAt { get; init; }
    public DateTime? ClosedAt { get; init; }

    public Session ToSession() => new(SessionId, TenantId, VisitorId, ExternalUserId, Mode, Status, RoutingKey, VisitorDisplayName,
        VisitorEmail, TicketId, LastSeq, DbJson.Utc(CreatedAt), ClosedAt is { } c ? DbJson.Utc(c) : null);
}

internal sealed class MessageRow
{
    public Guid MessageId { get; init; }
    public Guid TenantId { get; init; }
    public Guid SessionId { get; init; }
    public int Seq { get; init; }
    public string SenderType { get; init; } = "";
    public Guid? SenderId { get; init; }
    public string? SenderDisplayName { get; init; }
    public string Text { get; init; } = "";
    public string? ClientMessageId { get; init; }
    public DateTime CreatedAt { get; init; }
    public string? ExtrasJson { get; init; }

    public JournalMessage ToMessage() => new(MessageId, TenantId, SessionId, Seq, new Sender(SenderType, SenderId, SenderDisplayName), Text,
        ClientMessageId, DbJson.Utc(CreatedAt), MessageExtrasJson.Read(ExtrasJson));
}

internal sealed class AssignmentRow
{
    public Guid AssignmentId { get; init; }
    public Guid TenantId { get; init; }
    public Guid SessionId { get; init; }
    public string? RoutingKey { get; init; }
    public string Status { get; init; } = "";
    public Guid? OperatorId { get; init; }
    public DateTime WaitingSince { get; init; }
    public DateTime? AssignedAt { get; init; }
    public DateTime CreatedAt { get; init; }

    /// <summary>Only set by queries that return it (the operator an abandoned assignment had).</summary>
    public Guid? PreviousOperator { get; init; }

    public Assignment ToAssignment() => new(AssignmentId, TenantId, SessionId, RoutingKey, Status, OperatorId, DbJson.Utc(WaitingSince),
        AssignedAt is { } a ? DbJson.Utc(a) : null, DbJson.Utc(CreatedAt));
}
