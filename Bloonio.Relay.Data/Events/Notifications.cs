namespace Bloonio.Relay.Data.Events;

/// <summary>
/// The PostgreSQL notification channels (NOTIFY, sent in the transaction of the change, delivered at its commit to every
/// node's listening connection): they wake background work instead of polling, and invalidate caches. Never sent on
/// the hot paths (a message, a new session): a notifying transaction holds PostgreSQL's notification-queue lock from
/// its commit to its end, so notifying writers commit one at a time (see <see cref="EventCommits"/>).
/// </summary>
public static class Notifications
{
    /// <summary>Events were numbered: the consumers read them.</summary>
    public const string Sequenced = "relay_sequenced";

    /// <summary>Webhook deliveries became due.</summary>
    public const string Webhooks = "relay_webhooks";

    /// <summary>Cached rows changed; the payload says which ("tenant:{id}", "membership:{tenant}:{operator}").</summary>
    public const string Cache = "relay_cache";

    public static readonly IReadOnlyList<string> All = [Sequenced, Webhooks, Cache];
}
