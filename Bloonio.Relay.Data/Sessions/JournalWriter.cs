using System.Data;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Dapper;

namespace Bloonio.Relay.Data.Sessions;

/// <summary>
/// The one way a journal entry is written: the message row and its message.created event, in the caller's
/// transaction (the session's last_seq is the caller's to move), so webhooks, the brain feed and usage see every entry.
/// </summary>
internal static class JournalWriter
{
    public static async Task InsertAsync(IDbConnection connection, IDbTransaction tx, JournalMessage m, CancellationToken ct)
    {
        await connection.ExecuteAsync(new CommandDefinition("""
            INSERT INTO messages (message_id, tenant_id, session_id, seq, sender_type, sender_id, sender_display_name, text, client_message_id, created_at)
            VALUES (@MessageId, @TenantId, @SessionId, @Seq, @SenderType, @SenderId, @SenderDisplayName, @Text, @ClientMessageId, @CreatedAt)
            """,
            new
            {
                m.MessageId, m.TenantId, m.SessionId, m.Seq, SenderType = m.Sender.Type, SenderId = m.Sender.Id,
                SenderDisplayName = m.Sender.DisplayName, m.Text, m.ClientMessageId, m.CreatedAt,
            },
            tx, cancellationToken: ct));
        await EventWriter.AppendAsync(connection, tx, m.TenantId, new RelayEvent(Guid.CreateVersion7(m.CreatedAt), EventTypes.MessageCreated,
            new
            {
                session_id = m.SessionId, message_id = m.MessageId, seq = m.Seq,
                sender = new { type = m.Sender.Type, id = m.Sender.Id, display_name = m.Sender.DisplayName },
                text = m.Text, client_message_id = m.ClientMessageId, created_at = m.CreatedAt,
            }, m.CreatedAt), ct);
    }
}
