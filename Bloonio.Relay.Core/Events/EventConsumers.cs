namespace Bloonio.Relay.Core.Events;

/// <summary>An event as stored, with its per-tenant sequence.</summary>
public sealed record StoredEvent(Guid EventId, Guid TenantId, long Sequence, string Type, string DataJson, DateTimeOffset CreatedAt);

/// <summary>
/// A durable consumer of the event log: it sees every event of its types, per tenant, in sequence order, at least
/// once (a batch is retried until it succeeds). The brain's persistence feed is one; webhooks are the next.
/// </summary>
public interface IEventConsumer
{
    string Name { get; }

    /// <summary>The event types it reads (null: every type); the others are passed over without reading their data.</summary>
    IReadOnlySet<string>? Types { get; }

    /// <summary>
    /// The part of each event's data it reads, as a path of keys (null: all of it); its events' <see cref="StoredEvent.DataJson"/>
    /// then holds that part only (JSON null where an event has none). Usage reads a message's sender, not its text.
    /// </summary>
    IReadOnlyList<string>? DataPath => null;

    /// <summary>Whether it has anything to do for the tenant at all; when not, its cursor moves to the end unread.</summary>
    Task<bool> ActiveForAsync(Guid tenantId, CancellationToken ct) => Task.FromResult(true);

    /// <summary>Throw to retry the same batch later; return to move the cursor past it.</summary>
    Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct);
}

/// <summary>A tenant's next events for a consumer.</summary>
/// <param name="Events">Those of the consumer's types, in sequence order.</param>
/// <param name="Read">How many numbered events the batch spanned, of any type.</param>
/// <param name="LastSequence">The last of them: where the cursor goes once the batch is handled.</param>
public sealed record EventBatch(IReadOnlyList<StoredEvent> Events, int Read, long LastSequence);

/// <param name="TenantLastSequence">The tenant's last numbered event when the lease was taken.</param>
public sealed record CursorLease(string Consumer, Guid TenantId, long LastSequence, int Attempts, long TenantLastSequence);

public interface IEventCursorStore
{
    /// <summary>Leases up to <paramref name="limit"/> (consumer, tenant) cursors that have events to read and are due.</summary>
    Task<IReadOnlyList<CursorLease>> LeaseAsync(string consumer, int limit, DateTimeOffset now, TimeSpan leaseFor, CancellationToken ct);

    /// <summary>The next <paramref name="limit"/> numbered events after the cursor, whole (the feed).</summary>
    Task<IReadOnlyList<StoredEvent>> ReadAsync(Guid tenantId, long afterSequence, int limit, CancellationToken ct);

    /// <summary>
    /// <see cref="ReadAsync"/> for several cursors in one round trip: per tenant, its next <paramref name="limit"/>
    /// numbered events after its cursor, of which only those of <paramref name="types"/> (null: all) come back, with
    /// only the <paramref name="dataPath"/> part of their data (a tenant with none after its cursor is left out).
    /// </summary>
    Task<IReadOnlyDictionary<Guid, EventBatch>> ReadManyAsync(IReadOnlyList<CursorLease> leases, int limit,
        IReadOnlySet<string>? types, CancellationToken ct, IReadOnlyList<string>? dataPath = null);

    /// <summary>Moves each cursor to its sequence (never back) and releases its lease, in one statement.</summary>
    Task AdvanceManyAsync(string consumer, IReadOnlyList<(Guid TenantId, long ToSequence)> moves, CancellationToken ct);

    Task FailAsync(CursorLease lease, string error, DateTimeOffset retryAt, CancellationToken ct);
}
