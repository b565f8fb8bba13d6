using System.Text.Json;
using Bloonio.Relay.Core.Events;

namespace Bloonio.Relay.Core.Quotas;

public static class UsageMetrics
{
    public const string VisitorMessages = "messages_visitor";
    public const string OperatorMessages = "messages_operator";
    public const string BotMessages = "messages_bot";
    public const string SystemMessages = "messages_system";
    public const string Sessions = "sessions";
    public const string Escalations = "escalations";
    public const string WebhookDeliveries = "webhook_deliveries";
    public const string PeakConnections = "peak_concurrent_connections";
}

/// <summary>One counted event: its sequence (for exactly-once), the UTC day and the metric it adds one to.</summary>
public sealed record UsageIncrement(long Sequence, DateOnly Day, string Metric);

public sealed record UsageDay(DateOnly Date, IReadOnlyDictionary<string, long> Metrics);

public interface IUsageStore
{
    /// <summary>
    /// Adds the increments whose sequence is past the tenant's usage cursor, and moves it, in one transaction; with a
    /// monthly message limit, the batch that takes a month past 80 % writes quota.warning and past 100 % quota.exceeded,
    /// in the same transaction (so each is written once).
    /// </summary>
    Task ApplyAsync(Guid tenantId, IReadOnlyList<UsageIncrement> increments, long lastSequence, int? monthlyLimit, CancellationToken ct);

    /// <summary>Raises today's peak of concurrent visitor connections to at least <paramref name="connections"/>.</summary>
    Task RecordPeakAsync(Guid tenantId, DateOnly day, int connections, CancellationToken ct);

    Task<IReadOnlyList<UsageDay>> ListAsync(Guid tenantId, DateOnly from, DateOnly to, CancellationToken ct);

    /// <summary>
    /// The month's non-system messages: what usage has counted, plus the message events it has not counted yet (read
    /// in one snapshot, so exact at that moment).
    /// </summary>
    Task<long> MessagesThisMonthAsync(Guid tenantId, DateOnly month, CancellationToken ct);
}

/// <summary>
/// Usage metering (SPEC 10) from the event log: one upsert per batch of events instead of a write per message, and
/// exact because the store skips what its own cursor has already counted.
/// </summary>
public sealed class UsageConsumer(IUsageStore store, Tenants.ITenantRepository tenants, Microsoft.Extensions.Options.IOptions<QuotaDefaults> quotas)
    : IEventConsumer
{
    public string Name => "usage";

    public IReadOnlySet<string>? Types { get; } = new HashSet<string> { EventTypes.MessageCreated, EventTypes.SessionCreated, EventTypes.SessionEscalated };

    /// <summary>A message's sender only (who wrote it is what is metered), not its text.</summary>
    public IReadOnlyList<string>? DataPath { get; } = ["sender"];

    public async Task HandleAsync(Guid tenantId, IReadOnlyList<StoredEvent> events, CancellationToken ct)
    {
        var limit = quotas.Value.For((await tenants.GetAsync(tenantId, ct))?.Quotas ?? new Tenants.TenantQuotas()).MessagesPerMonth;
        await store.ApplyAsync(tenantId, events.SelectMany(Increments).ToList(), events[^1].Sequence, limit, ct);
    }

    private static IEnumerable<UsageIncrement> Increments(StoredEvent e)
    {
        var day = DateOnly.FromDateTime(e.CreatedAt.UtcDateTime);
        switch (e.Type)
        {
            case EventTypes.MessageCreated:
                using (var sender = JsonDocument.Parse(e.DataJson))
                {
                    var type = sender.RootElement.ValueKind == JsonValueKind.Object && sender.RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
                    yield return new UsageIncrement(e.Sequence, day, type switch
                    {
                        "visitor" => UsageMetrics.VisitorMessages,
                        "operator" => UsageMetrics.OperatorMessages,
                        "bot" => UsageMetrics.BotMessages,
                        _ => UsageMetrics.SystemMessages,
                    });
                }

                break;
            case EventTypes.SessionCreated:
                yield return new UsageIncrement(e.Sequence, day, UsageMetrics.Sessions);
                break;
            case EventTypes.SessionEscalated:
                yield return new UsageIncrement(e.Sequence, day, UsageMetrics.Escalations);
                break;
        }
    }
}
