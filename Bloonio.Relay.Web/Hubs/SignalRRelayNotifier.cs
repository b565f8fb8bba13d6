using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Assignments;
using Bloonio.Relay.Core.Sessions;
using Microsoft.AspNetCore.SignalR;

namespace Bloonio.Relay.Web.Hubs;

/// <summary>Core's fan-out over SignalR groups; with the Redis backplane the same sends reach every node.</summary>
public sealed class SignalRRelayNotifier(IHubContext<VisitorHub> visitors, IHubContext<OperatorHub> operators, Core.Workspace.IWorkspaceRepository workspace)
    : IRelayNotifier
{
    public async Task MessageAsync(JournalMessage message, Guid? assignedOperatorId, CancellationToken ct)
    {
        var payload = MessageEvent.From(message);
        using var span = RelayTelemetry.Source.StartActivity("relay.push");
        await visitors.Clients.Group(RelayGroups.Session(message.TenantId, message.SessionId)).SendAsync("message", payload, ct);
        RelayTelemetry.MessagesPushed.Add(1, new KeyValuePair<string, object?>("audience", "visitor"));
        if (assignedOperatorId is { } op)
        {
            // To the operator wherever it is connected (every tab, every node), so a transfer needs no group changes.
            await operators.Clients.Group(RelayGroups.Operator(message.TenantId, op)).SendAsync("message", payload, ct);
            RelayTelemetry.MessagesPushed.Add(1, new KeyValuePair<string, object?>("audience", "operator"));
        }
    }

    public async Task SignalAsync(Guid tenantId, Guid sessionId, Guid? assignedOperatorId, string kind, object payload, CancellationToken ct)
    {
        await visitors.Clients.Group(RelayGroups.Session(tenantId, sessionId)).SendAsync(kind, payload, ct);
        if (assignedOperatorId is { } op)
        {
            await operators.Clients.Group(RelayGroups.Operator(tenantId, op)).SendAsync(kind, payload, ct);
        }
    }

    public async Task ToSessionOperatorsAsync(Guid tenantId, string? routingKey, Guid? assignedOperatorId, string kind, object payload, CancellationToken ct)
    {
        var groups = RelayGroups.Queue(tenantId, routingKey).ToList();
        if (assignedOperatorId is { } op)
        {
            groups.Add(RelayGroups.Operator(tenantId, op));
        }

        await operators.Clients.Groups(groups).SendAsync(kind, payload, ct);
    }

    public Task SessionClosedAsync(Guid tenantId, Guid sessionId, Guid operatorId, CancellationToken ct) =>
        operators.Clients.Group(RelayGroups.Operator(tenantId, operatorId)).SendAsync("session_closed", new { session_id = sessionId }, ct);

    public async Task AssignmentWaitingAsync(Assignment assignment, CancellationToken ct) =>
        await operators.Clients.Groups(RelayGroups.Queue(assignment.TenantId, assignment.RoutingKey))
            .SendAsync("assignment_waiting", AssignmentView.From(assignment, await workspace.CardsAsync(assignment.TenantId, [assignment.SessionId], ct)), ct);

    public Task AssignmentRemovedAsync(Assignment assignment, string reason, CancellationToken ct) =>
        operators.Clients.Groups(RelayGroups.Queue(assignment.TenantId, assignment.RoutingKey))
            .SendAsync("assignment_removed", new AssignmentRemovedEvent(assignment.AssignmentId, reason), ct);

    public async Task AssignmentAssignedAsync(Assignment assignment, CancellationToken ct) =>
        await operators.Clients.Group(RelayGroups.Operator(assignment.TenantId, assignment.OperatorId!.Value))
            .SendAsync("assignment_assigned", AssignmentView.From(assignment, await workspace.CardsAsync(assignment.TenantId, [assignment.SessionId], ct)), ct);

    public Task SessionStateAsync(
        Guid tenantId, Guid sessionId, string status, int? queuePosition, SessionOperator? @operator, CancellationToken ct,
        int? estimatedWaitSeconds = null) =>
        visitors.Clients.Group(RelayGroups.Session(tenantId, sessionId))
            .SendAsync("session_state", new SessionStateEvent(sessionId, status, queuePosition, @operator, estimatedWaitSeconds), ct);
}
