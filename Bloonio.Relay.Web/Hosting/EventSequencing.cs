using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Data.Events;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Numbers committed events (the per-tenant feed's sequence) as soon as this node committed some, and every
/// <c>Relay:SequencerIntervalSeconds</c> (30 s) as a safety net. Any node may do it; one at a time does.
/// </summary>
public sealed class EventSequencing : PeriodicWork<int>
{
    private readonly IEventSequencer _sequencer;

    public EventSequencing(IEventSequencer sequencer, EventCommits commits, TimeProvider clock, IConfiguration configuration,
        ILogger<EventSequencing> logger)
        : base(clock, configuration, logger)
    {
        _sequencer = sequencer;
        commits.Subscribe(Wake);
    }

    protected override string IntervalKey => "Relay:SequencerIntervalSeconds";

    protected override double DefaultIntervalSeconds => 30;

    protected override TimeSpan Spacing => TimeSpan.FromMilliseconds(20);

    public override Task<int> RunOnceAsync(CancellationToken ct) => _sequencer.CatchUpAsync(ct);
}
