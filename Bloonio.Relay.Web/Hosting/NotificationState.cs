namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Whether the node hears PostgreSQL's notifications now (set by <see cref="PostgresListener"/>). Work that is woken by
/// them may sleep longer while idle; without them it keeps to its safety-net interval.
/// </summary>
public sealed class NotificationState
{
    private volatile bool _listening;

    public bool Listening
    {
        get => _listening;
        set => _listening = value;
    }
}
