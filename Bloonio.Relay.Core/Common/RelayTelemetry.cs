using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Bloonio.Relay.Core.Common;

/// <summary>
/// The relay's own meter and activity source ("Bloonio.Relay"), exported by OpenTelemetry (Prometheus <c>/metrics</c>,
/// OTLP). Labels are low-cardinality: sender types, hubs, methods, outcomes, consumers; a tenant label only for the
/// tenants listed in <c>Relay:Metrics:TenantLabels</c> (bounded by configuration). The catalogue is docs/observability.md.
/// </summary>
public static class RelayTelemetry
{
    public const string Name = "Bloonio.Relay";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    public static readonly Counter<long> MessagesStored =
        Meter.CreateCounter<long>("relay.messages.stored", "{message}", "Messages stored in the journal, by sender type");

    public static readonly Counter<long> MessagesPushed =
        Meter.CreateCounter<long>("relay.messages.pushed", "{message}", "Messages pushed live to a session's audience (one per message and audience)");

    public static readonly Counter<long> HubInvocations =
        Meter.CreateCounter<long>("relay.hub.invocations", "{call}", "Hub method calls, by hub, method and outcome (ok or the error code)");

    public static readonly Histogram<double> HubInvocationDuration =
        Meter.CreateHistogram<double>("relay.hub.invocation.duration", "s", "How long hub method calls took");

    public static readonly UpDownCounter<long> HubConnections =
        Meter.CreateUpDownCounter<long>("relay.hub.connections", "{connection}", "Open hub connections of this node, by hub");

    public static readonly Histogram<double> TimeToAccept =
        Meter.CreateHistogram<double>("relay.assignment.time_to_accept", "s", "From a conversation's entry in a queue to an operator's accept");

    public static readonly Counter<long> WebhookDeliveries =
        Meter.CreateCounter<long>("relay.webhook.deliveries", "{attempt}", "Webhook delivery attempts, by outcome (delivered, retry, failed, refused)");

    public static readonly Histogram<double> WebhookDuration =
        Meter.CreateHistogram<double>("relay.webhook.delivery.duration", "s", "How long webhook receivers took to answer");

    public static readonly Counter<long> BrainCalls =
        Meter.CreateCounter<long>("relay.brain.calls", "{call}", "Calls to the brain, by operation and outcome (ok, failed, unavailable)");

    public static readonly Histogram<double> BrainDuration =
        Meter.CreateHistogram<double>("relay.brain.call.duration", "s", "How long the brain took to answer");

    public static readonly Counter<long> Refusals =
        Meter.CreateCounter<long>("relay.refusals", "{request}", "Requests and calls refused by a rate limit or a quota, by code");

    private static IReadOnlySet<Guid> _labelledTenants = new HashSet<Guid>();

    /// <summary>The tenants that get their own label (Relay:Metrics:TenantLabels); every other tenant is counted without one.</summary>
    public static void LabelTenants(IEnumerable<Guid> tenants) => _labelledTenants = tenants.ToHashSet();

    public static void MessageStored(Guid tenantId, string senderType)
    {
        if (_labelledTenants.Contains(tenantId))
        {
            MessagesStored.Add(1, new KeyValuePair<string, object?>("sender_type", senderType), new KeyValuePair<string, object?>("tenant", tenantId.ToString()));
        }
        else
        {
            MessagesStored.Add(1, new KeyValuePair<string, object?>("sender_type", senderType));
        }
    }

    public static void Refused(string code) => Refusals.Add(1, new KeyValuePair<string, object?>("code", code));
}
