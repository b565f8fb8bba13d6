using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Numbers committed events (the per-tenant feed's sequence) when a notification says some were written, and every
/// <c>Relay:SequencerIntervalSeconds</c> (30 s) as a safety net. Any node may do it; one at a time does.
/// </summary>
public sealed class EventSequencing(IEventSequencer sequencer, TimeProvider clock, IConfiguration configuration, ILogger<EventSequencing> logger)
    : PeriodicWork<int>(clock, configuration, logger)
{
    protected override string IntervalKey => "Relay:SequencerIntervalSeconds";

    protected override double DefaultIntervalSeconds => 30;

    protected override TimeSpan Spacing => TimeSpan.FromMilliseconds(20);

    public override Task<int> RunOnceAsync(CancellationToken ct) => sequencer.CatchUpAsync(ct);
}
