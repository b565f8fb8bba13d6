namespace Bloonio.Relay.Core.Webhooks;

public static class DeliveryStatuses
{
    public const string Pending = "pending";
    public const string Delivered = "delivered";
    public const string Failed = "failed";
}

public static class EndpointStatuses
{
    public const string Active = "active";
    public const string Paused = "paused";
    public const string Disabled = "disabled";
}

public sealed record NewDelivery(Guid DeliveryId, Guid TenantId, Guid? EventId, string EventType, string Url, string PayloadJson, DateTimeOffset CreatedAt);

/// <summary>A delivery leased for sending: the exact body and where to send it.</summary>
public sealed record DueDelivery(Guid DeliveryId, Guid TenantId, Guid? EventId, string EventType, string Url, string PayloadJson, int Attempts);

public sealed record AttemptRecord(int Attempt, int? StatusCode, int LatencyMs, string? ResponseExcerpt, string? Error, DateTimeOffset CreatedAt);

/// <summary>What the attempt decided: delivered, retry at a time, or give up; and what happens to the endpoint.</summary>
public sealed record AttemptOutcome(string Status, DateTimeOffset? NextAttemptAt, bool EndpointSucceeded, string? DisableReason);

public sealed record DeliveryView(
    Guid DeliveryId, Guid? EventId, string EventType, string Url, string Status, int Attempts, int? LastStatus, string? LastError,
    DateTimeOffset NextAttemptAt, DateTimeOffset? DeliveredAt, Guid? ReplayOf, DateTimeOffset CreatedAt, IReadOnlyList<AttemptRecord> AttemptLog)
{
    /// <summary>The exact body sent (only loaded for a single delivery, e.g. to replay it).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? Payload { get; init; }
}

public sealed record EndpointState(string Status, string? Reason, int ConsecutiveFailures);

public interface IWebhookStore
{
    Task AddAsync(IReadOnlyList<NewDelivery> deliveries, CancellationToken ct);

    Task AddReplayAsync(NewDelivery replay, Guid replayOf, CancellationToken ct);

    Task<IReadOnlyList<DueDelivery>> LeaseDueAsync(int limit, DateTimeOffset now, TimeSpan leaseFor, CancellationToken ct);

    /// <summary>Records the attempt and its outcome, and updates the endpoint's failure streak, in one transaction.</summary>
    Task RecordAsync(DueDelivery delivery, AttemptRecord attempt, AttemptOutcome outcome, DateTimeOffset now, CancellationToken ct);

    Task<IReadOnlyList<DeliveryView>> ListAsync(Guid tenantId, string? status, int limit, CancellationToken ct);

    Task<DeliveryView?> GetAsync(Guid tenantId, Guid deliveryId, CancellationToken ct);

    Task<EndpointState> GetEndpointAsync(Guid tenantId, CancellationToken ct);

    Task SetEndpointAsync(Guid tenantId, string status, string? reason, DateTimeOffset now, CancellationToken ct);

    /// <summary>When the next pending delivery is due (null: none), so the worker sleeps until then or a notification.</summary>
    Task<DateTimeOffset?> NextDueAtAsync(CancellationToken ct);
}
