using System.Data;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Data.Events;
using Dapper;

namespace Bloonio.Relay.Data.Sessions;

/// <summary>
/// The one way journal entries are written: the message rows and their message.created events, in the caller's
/// transaction, many in one statement (the session's last_seq is the caller's to move), so webhooks, the brain feed and
/// usage see every entry.
/// </summary>
internal static class JournalWriter
{
    public static Task InsertAsync(IDbConnection connection, IDbTransaction tx, JournalMessage m, CancellationToken ct) =>
        InsertManyAsync(connection, tx, [m], ct);

    public static Task InsertManyAsync(IDbConnection connection, IDbTransaction tx, IReadOnlyList<JournalMessage> messages, CancellationToken ct)
    {
        if (messages.Count == 0)
        {
            return Task.CompletedTask;
        }

        var parameters = new DynamicParameters();
        return connection.ExecuteAsync(new CommandDefinition(InsertManySql(messages, parameters), parameters, tx, cancellationToken: ct));
    }

    /// <summary>The statements that write these entries and their events, their parameters added to
    /// <paramref name="parameters"/>: for a caller that sends them with its own statements, in one round trip.</summary>
    public static string InsertManySql(IReadOnlyList<JournalMessage> messages, DynamicParameters parameters)
    {
        parameters.AddDynamicParams(new
        {
            ids = messages.Select(m => m.MessageId).ToArray(), tenants = messages.Select(m => m.TenantId).ToArray(),
            sessions = messages.Select(m => m.SessionId).ToArray(), seqs = messages.Select(m => m.Seq).ToArray(),
            senderTypes = messages.Select(m => m.Sender.Type).ToArray(), senderIds = messages.Select(m => m.Sender.Id).ToArray(),
            senderNames = messages.Select(m => m.Sender.DisplayName).ToArray(), texts = messages.Select(m => m.Text).ToArray(),
            clientIds = messages.Select(m => m.ClientMessageId).ToArray(), createdAt = messages.Select(m => m.CreatedAt).ToArray(),
            extras = messages.Select(m => MessageExtrasJson.Write(m.Extras)).ToArray(),
        });
        var events = EventWriter.AppendManySql(messages.Select(m => (m.TenantId, new RelayEvent(Guid.CreateVersion7(m.CreatedAt),
            EventTypes.MessageCreated, new
            {
                session_id = m.SessionId, message_id = m.MessageId, seq = m.Seq,
                sender = new { type = m.Sender.Type, id = m.Sender.Id, display_name = m.Sender.DisplayName },
                text = m.Text, client_message_id = m.ClientMessageId, created_at = m.CreatedAt,
                sources = m.Extras?.Sources, quick_replies = m.Extras?.QuickReplies, in_reply_to = m.Extras?.InReplyTo,
                attachments = m.Extras?.Attachments,
            }, m.CreatedAt))).ToList(), parameters);
        return $"""
            INSERT INTO messages (message_id, tenant_id, session_id, seq, sender_type, sender_id, sender_display_name, text, client_message_id, created_at, extras)
            SELECT u.id, u.tenant, u.session, u.seq, u.st, u.sid, u.sn, u.text, u.cid, u.at, u.extras::jsonb
            FROM unnest(@ids, @tenants, @sessions, @seqs, @senderTypes, @senderIds, @senderNames, @texts, @clientIds, @createdAt, @extras)
                AS u(id, tenant, session, seq, st, sid, sn, text, cid, at, extras);
            {events}
            """;
    }
}

/// <summary>Message extras as stored (snake_case JSON) and read back.</summary>
internal static class MessageExtrasJson
{
    private static readonly System.Text.Json.JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static string? Write(MessageExtras? extras) =>
        extras is null || extras.IsEmpty ? null : System.Text.Json.JsonSerializer.Serialize(extras, Options);

    public static MessageExtras? Read(string? json) =>
        json is null ? null : System.Text.Json.JsonSerializer.Deserialize<MessageExtras>(json, Options);
}
