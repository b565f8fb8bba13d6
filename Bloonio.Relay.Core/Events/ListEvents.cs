using System.Text.Json;
using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Events;

/// <summary>
/// SPEC 8: the tenant's events in sequence order after a cursor, so a backend can catch up after an outage or rebuild
/// its state; <c>next_after</c> is the cursor for the next page.
/// </summary>
public sealed record ListEventsQuery(Guid TenantId, long After, int? Limit) : IRequest<EventPage>, ITenantScoped;

public sealed record EventView(Guid Id, long Sequence, string Type, DateTimeOffset CreatedAt, Guid TenantId, JsonElement Data);

public sealed record EventPage(IReadOnlyList<EventView> Events, long NextAfter, bool HasMore);

public sealed class ListEventsValidator : AbstractValidator<ListEventsQuery>
{
    public ListEventsValidator()
    {
        RuleFor(x => x.After).GreaterThanOrEqualTo(0).WithMessage("must be 0 or more");
        RuleFor(x => x.Limit).InclusiveBetween(1, 500).WithMessage("must be between 1 and 500");
    }
}

public sealed class ListEventsHandler(IEventCursorStore events, IEventSequencer sequencer) : IRequestHandler<ListEventsQuery, EventPage>
{
    public async Task<EventPage> Handle(ListEventsQuery request, CancellationToken cancellationToken)
    {
        await sequencer.CatchUpAsync(cancellationToken); // a backend reads its own writes: what committed before this call is numbered
        var limit = request.Limit ?? 100;
        var page = await events.ReadAsync(request.TenantId, request.After, limit + 1, cancellationToken);
        var shown = page.Take(limit).Select(e =>
            new EventView(e.EventId, e.Sequence, e.Type, e.CreatedAt, e.TenantId, JsonDocument.Parse(e.DataJson).RootElement.Clone())).ToList();
        return new EventPage(shown, shown.Count > 0 ? shown[^1].Sequence : request.After, page.Count > limit);
    }
}
