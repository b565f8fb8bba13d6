namespace Bloonio.Relay.Data.Events;

/// <summary>
/// Tells this node's sequencer that a transaction of this node committed events, so they are numbered at once. Not a
/// PostgreSQL NOTIFY: a notifying transaction holds PostgreSQL's one notification-queue lock from its commit until it
/// ends, fsync included, so every writer would commit one after the other. Events written on another node are that
/// node's to announce (its sequencer numbers them, or waits for the one that holds the sequencing lock and then does).
/// </summary>
public sealed class EventCommits
{
    private readonly Lock _subscribing = new();
    private Action[] _listeners = [];

    public void Subscribe(Action wake)
    {
        lock (_subscribing)
        {
            _listeners = [.. _listeners, wake];
        }
    }

    /// <summary>
    /// Called after the commit of a transaction that wrote events; never throws. The caller's transaction is committed
    /// by then, and a writer that saw an exception here would take it for a failed write (the group commit would write
    /// its messages again). A wake-up is only a hint: the sequencer's own loop numbers what a lost one left.
    /// </summary>
    public void Committed()
    {
        foreach (var wake in Volatile.Read(ref _listeners))
        {
            try
            {
                wake();
            }
            catch (Exception)
            {
                // a hint lost; see above
            }
        }
    }
}
