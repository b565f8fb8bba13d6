namespace Bloonio.Relay.Data.Events;

/// <summary>
/// Tells this node's sequencer that a transaction of this node committed events, so they are numbered at once. Not a
/// PostgreSQL NOTIFY: a notifying transaction holds PostgreSQL's one notification-queue lock from its commit until it
/// ends, fsync included, so every writer would commit one after the other. Events written on another node are that
/// node's to announce (its sequencer numbers them, or waits for the one that holds the sequencing lock and then does).
/// </summary>
public sealed class EventCommits
{
    private Action? _listeners;

    public void Subscribe(Action wake) => _listeners += wake;

    /// <summary>Called after the commit of a transaction that wrote events.</summary>
    public void Committed() => _listeners?.Invoke();
}
