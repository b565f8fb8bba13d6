namespace Bloonio.Relay.Data.Events;

/// <summary>
/// The PostgreSQL notification channels (NOTIFY, sent in the transaction of the change, delivered at its commit to every
/// node's listening connection): they wake background work instead of polling, and invalidate caches.
/// </summary>
public static class Notifications
{
    /// <summary>Events were written: the sequencer numbers them.</summary>
    public const string Events = "relay_events";

    /// <summary>Events were numbered: the consumers read them.</summary>
    public const string Sequenced = "relay_sequenced";

    /// <summary>Webhook deliveries became due.</summary>
    public const string Webhooks = "relay_webhooks";

    /// <summary>Cached rows changed; the payload says which ("tenant:{id}", "membership:{tenant}:{operator}").</summary>
    public const string Cache = "relay_cache";

    public static readonly IReadOnlyList<string> All = [Events, Sequenced, Webhooks, Cache];
}
