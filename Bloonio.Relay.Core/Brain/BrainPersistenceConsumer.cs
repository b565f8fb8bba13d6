using System.Text.Json;
using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Core.Brain;

/// <summary>
/// SPEC 7/9: the brain is the system of record, so every journal entry (its message.created event) is forwarded to it,
/// batched per session, at least once; message_id is the idempotency key on the brain's side.
/// </summary>
public sealed class BrainPersistenceConsumer(IBrain brain) : IEventConsumer
{
    public string Name => "brain.persistence";

    public IReadOnlySet<string>? Types { get; } = new HashSet<string> { EventTypes.MessageCreated };

    public async Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        var messages = events.Select(e => JsonDocument.Parse(e.DataJson).RootElement).Select(d => (
            SessionId: d.GetProperty("session_id").GetGuid(),
            Message: new PersistedMessage(
                d.GetProperty("message_id").GetGuid(), d.GetProperty("seq").GetInt32(),
                d.GetProperty("sender").GetProperty("type").GetString()!,
                d.GetProperty("sender").TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetGuid() : null,
                d.GetProperty("text").GetString()!, d.GetProperty("created_at").GetDateTimeOffset())));
        foreach (var session in messages.GroupBy(m => m.SessionId))
        {
            await brain.PersistAsync(tenantId, session.Key, session.Select(m => m.Message).ToList(), ct);
        }
    }
}
