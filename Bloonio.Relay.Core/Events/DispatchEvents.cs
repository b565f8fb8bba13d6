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

    /// <summary>A round's handled batches are advanced at its end, or after this long (well within <see cref="Lease"/>).</summary>
    private static readonly TimeSpan FlushAfter = TimeSpan.FromSeconds(10);

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
                var (count, more) = await ConsumeAsync(consumer, leases, cancellationToken);
                handled += count;
                if (leases.Count < Tenants && !more)
                {
                    break;
                }
            }
        }

        return handled;
    }

    /// <summary>
    /// One round: the leased tenants' next events read in one statement, each tenant's batch handled on its own (a
    /// failure backs off that tenant only), and every cursor that moved advanced in one statement, also when the round
    /// is cut short (what was handled is not handled again after a stop; at least once either way).
    /// </summary>
    /// <returns>How many events the consumer handled, and whether some tenant's batch was full (more may be waiting).</returns>
    private async Task<(int Handled, bool Full)> ConsumeAsync(IEventConsumer consumer, IReadOnlyList<CursorLease> leases,
        CancellationToken cancellationToken)
    {
        var moves = new List<(Guid TenantId, long ToSequence)>();
        var reading = new List<CursorLease>();
        var (handled, full) = (0, false);
        var started = clock.GetUtcNow();
        try
        {
            foreach (var lease in leases)
            {
                if (await consumer.ActiveForAsync(lease.TenantId, cancellationToken))
                {
                    reading.Add(lease);
                }
                else
                {
                    // Nothing to do for this tenant (no webhook URL, say): past everything numbered so far, unread (a lease
                    // is taken only when the tenant's last number is past the cursor).
                    moves.Add((lease.TenantId, lease.TenantLastSequence));
                }
            }

            var batches = await cursors.ReadManyAsync(reading, BatchSize, consumer.Types, cancellationToken, consumer.DataPath);
            foreach (var lease in reading)
            {
                if (!batches.TryGetValue(lease.TenantId, out var batch))
                {
                    moves.Add((lease.TenantId, lease.LastSequence)); // the lease released
                    continue;
                }

                try
                {
                    if (batch.Events.Count > 0)
                    {
                        await consumer.HandleAsync(lease.TenantId, batch.Events, cancellationToken);
                    }

                    moves.Add((lease.TenantId, batch.LastSequence));
                    handled += batch.Events.Count;
                    full |= batch.Read == BatchSize;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Exponential back-off per (consumer, tenant), capped at 10 minutes; the batch is kept.
                    var delay = TimeSpan.FromSeconds(Math.Min(600, 5 * Math.Pow(2, Math.Min(lease.Attempts, 7))));
                    logger.LogWarning(ex, "{Consumer} failed for tenant {TenantId}; retrying in {Delay}", consumer.Name, lease.TenantId, delay);
                    await cursors.FailAsync(lease, ex.Message, clock.GetUtcNow() + delay, cancellationToken);
                }

                if (clock.GetUtcNow() - started > FlushAfter)
                {
                    // A slow consumer (a brain taking its time) must not hold what it did past the others' leases.
                    await cursors.AdvanceManyAsync(consumer.Name, moves, cancellationToken);
                    moves.Clear();
                    started = clock.GetUtcNow();
                }
            }
        }
        finally
        {
            // Also when the round was cut short (a stop): what was handled is not handled again. Bounded, and never in
            // place of the round's own exception (the leases of what was not advanced run out after Lease).
            try
            {
                using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await cursors.AdvanceManyAsync(consumer.Name, moves, bounded.Token);
            }
            catch (Exception ex)
            {
                logger.LogWarning(ex, "{Consumer} could not advance {Count} cursors; their batches come again after the lease", consumer.Name, moves.Count);
            }
        }

        return (handled, full);
    }
}
