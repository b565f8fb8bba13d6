using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Core.Tenants;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>
/// To a routing key's queue, or directly to an operator of this tenant who serves the assignment's queue and has room
/// under its max_concurrent (both checked under the session's lock): never two owners, never none.
/// </summary>
public sealed record TransferAssignmentCommand(Guid TenantId, Guid OperatorId, Guid AssignmentId, string? RoutingKey, Guid? ToOperatorId)
    : IRequest<Assignment>, ITenantScoped;

public sealed class TransferAssignmentValidator : AbstractValidator<TransferAssignmentCommand>
{
    public TransferAssignmentValidator()
    {
        RuleFor(x => x.RoutingKey).MustBeOptionalRoutingKey();
        RuleFor(x => x).Must(x => (x.RoutingKey is null) != (x.ToOperatorId is null))
            .WithMessage("give exactly one of routing_key or operator_id").OverridePropertyName("routing_key");
    }
}

public sealed class TransferAssignmentHandler(
    OperatorAccess access, IOperatorRepository operators, ITenantRepository tenants, ISessionTransitions transitions, QueueNotifications queue,
    IRelayNotifier notifier, TimeProvider clock)
    : IRequestHandler<TransferAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(TransferAssignmentCommand request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var command = new TransitionCommand(request.TenantId, SessionTrigger.TransferToQueue, clock.GetUtcNow(), AssignmentId: request.AssignmentId,
            OperatorId: request.OperatorId, RoutingKey: request.RoutingKey);
        if (request.ToOperatorId is { } target)
        {
            var membership = await operators.FindMembershipAsync(request.TenantId, target, cancellationToken);
            if (membership is not { Active: true, OperatorActive: true })
            {
                throw new NotFoundException(ErrorCodes.OperatorNotFound, "Operator not found");
            }

            var tenant = await tenants.GetAsync(request.TenantId, cancellationToken)
                ?? throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
            command = (command with { Trigger = SessionTrigger.TransferToOperator, ToOperatorId = target }).HeldBy(membership, tenant);
        }

        var moved = (await transitions.RunAsync(command, cancellationToken))!.After!;
        if (moved.Status == AssignmentStatuses.Waiting)
        {
            await queue.WaitingAsync(moved, cancellationToken);
        }
        else
        {
            await notifier.AssignmentAssignedAsync(moved, cancellationToken);
        }

        return moved;
    }
}
