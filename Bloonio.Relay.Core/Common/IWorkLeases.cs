namespace Bloonio.Relay.Core.Common;

/// <summary>
/// Cluster-wide leases for periodic work that one node must do at a time (the sweeps, retention): a node takes the
/// lease for <c>ttl</c> of PostgreSQL's clock (node clocks play no part), or does nothing this time.
/// </summary>
public interface IWorkLeases
{
    Task<bool> TryAcquireAsync(string name, TimeSpan ttl, CancellationToken ct);
}

/// <summary>What retention removed in one pass (SPEC 7: the journal keeps <c>Relay:JournalRetentionDays</c>).</summary>
public sealed record RetentionResult(int Messages, int EventTexts, int DeliveryBodies);

public interface IRetentionStore
{
    /// <summary>
    /// Removes, in bounded batches, the journal of sessions closed before <paramref name="cutoff"/>, and the text of
    /// message.created events and of webhook delivery bodies older than it (their envelope, sequence and status stay).
    /// </summary>
    Task<RetentionResult> PurgeAsync(DateTimeOffset cutoff, CancellationToken ct);
}
