using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Events;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Numbers committed events (the per-tenant feed's sequence) as soon as this node committed some, and every
/// <c>Relay:SequencerIntervalSeconds</c> (30 s) as a safety net, which stretches to 5 minutes while it finds nothing.
/// Any node may do it; one at a time does.
/// </summary>
public sealed class EventSequencing : PeriodicWork<int>
{
    private readonly IEventSequencer _sequencer;
    private readonly NotificationState _notifications;

    public EventSequencing(IEventSequencer sequencer, EventCommits commits, NotificationState notifications, TimeProvider clock,
        IConfiguration configuration, ILogger<EventSequencing> logger)
        : base(clock, configuration, logger)
    {
        _sequencer = sequencer;
        _notifications = notifications;
        commits.Subscribe(Wake);
    }

    protected override string IntervalKey => "Relay:SequencerIntervalSeconds";

    protected override double DefaultIntervalSeconds => 30;

    protected override TimeSpan Spacing => TimeSpan.FromMilliseconds(20);

    public override Task<int> RunOnceAsync(CancellationToken ct) => _sequencer.CatchUpAsync(ct);

    /// <summary>The safety net finds events another node committed and could not number (it stopped): rare, so an idle
    /// pass lets the next one wait longer (this node's commits wake it at once).</summary>
    protected override bool Idle(int numbered) => numbered == 0 && _notifications.Listening;
}
