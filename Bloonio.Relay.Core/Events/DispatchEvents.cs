using MediatR;
using Microsoft.Extensions.Logging;

namespace Bloonio.Relay.Core.Events;

/// <summary>
/// One pass of an event consumer (<paramref name="Consumer"/>; null: every one, one after the other) over the tenants
/// with unread events. Several nodes may run it at once: leases keep them off the same (consumer, tenant).
/// <paramref name="NumberFirst"/>: number what has committed before reading (a pass run on demand: tests, tools). The
/// consumers' own loops leave that to the sequencer, which wakes them once it has numbered something: four loops each
/// running a numbering pass of their own was most of an idle node's statements.
/// </summary>
public sealed record DispatchEventsCommand(string? Consumer = null, bool NumberFirst = true) : IRequest<int>;

public sealed class DispatchEventsHandler(
    IEnumerable<IEventConsumer> consumers, IEventCursorStore cursors, IEventSequencer sequencer, TimeProvider clock,
    ILogger<DispatchEventsHandler> logger)
    : IRequestHandler<DispatchEventsCommand, int>
{
    private const int Tenants = 50;
    private const int BatchSize = 200;
    private const int MaxRounds = 20;
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(60);

    public async Task<int> Handle(DispatchEventsCommand request, CancellationToken cancellationToken)
    {
        if (request.NumberFirst)
        {
            await sequencer.CatchUpAsync(cancellationToken);
        }

        var handled = 0;
        foreach (var consumer in consumers.Where(c => request.Consumer is null || c.Name == request.Consumer))
        {
            // Drain: lease batches of tenants until none is left with unread events (bounded per pass). A round that filled
            // a batch for some tenant is followed by another even when it leased few tenants: one busy tenant's events
            // are read at up to MaxRounds × BatchSize per pass, not one batch per pass (which capped a tenant's feed at a
            // batch per Spacing, and let its webhooks and usage fall ever further behind).
            for (var round = 0; round < MaxRounds; round++)
            {
                var leases = await cursors.LeaseAsync(consumer.Name, Tenants, clock.GetUtcNow(), Lease, cancellationToken);
                var more = false;
                foreach (var lease in leases)
                {
                    var (count, full) = await ConsumeAsync(consumer, lease, cancellationToken);
                    handled += count;
                    more |= full;
                }

                if (leases.Count < Tenants && !more)
                {
                    break;
                }
            }
        }

        return handled;
    }

    /// <returns>How many events the consumer handled, and whether the batch was full (more may be waiting).</returns>
    private async Task<(int Handled, bool Full)> ConsumeAsync(IEventConsumer consumer, CursorLease lease, CancellationToken cancellationToken)
    {
        if (!await consumer.ActiveForAsync(lease.TenantId, cancellationToken))
        {
            // Nothing to do for this tenant (no webhook URL, say): past everything numbered so far, unread.
            await cursors.AdvanceAsync(lease, await cursors.LastSequenceAsync(lease.TenantId, cancellationToken), cancellationToken);
            return (0, false);
        }

        var events = await cursors.ReadAsync(lease.TenantId, lease.LastSequence, BatchSize, cancellationToken, consumer.Types);
        if (events.Count == 0)
        {
            await cursors.AdvanceAsync(lease, lease.LastSequence, cancellationToken);
            return (0, false);
        }

        var wanted = events.Where(e => consumer.Types is null || consumer.Types.Contains(e.Type)).ToList();
        try
        {
            if (wanted.Count > 0)
            {
                await consumer.HandleAsync(lease.TenantId, wanted, cancellationToken);
            }

            await cursors.AdvanceAsync(lease, events[^1].Sequence, cancellationToken);
            return (wanted.Count, events.Count == BatchSize);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Exponential back-off per (consumer, tenant), capped at 10 minutes; the batch is kept.
            var delay = TimeSpan.FromSeconds(Math.Min(600, 5 * Math.Pow(2, Math.Min(lease.Attempts, 7))));
            logger.LogWarning(ex, "{Consumer} failed for tenant {TenantId}; retrying in {Delay}", consumer.Name, lease.TenantId, delay);
            await cursors.FailAsync(lease, ex.Message, clock.GetUtcNow() + delay, cancellationToken);
            return (0, false);
        }
    }
}
