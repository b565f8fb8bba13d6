using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Core.Sessions;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Assignments;

/// <summary>To a routing key's queue, or directly to an operator of this tenant who serves the assignment's queue.</summary>
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
    OperatorAccess access, IOperatorRepository operators, IAssignmentRepository assignments, QueueNotifications queue,
    IRelayNotifier notifier, TimeProvider clock)
    : IRequestHandler<TransferAssignmentCommand, Assignment>
{
    public async Task<Assignment> Handle(TransferAssignmentCommand request, CancellationToken cancellationToken)
    {
        await access.RequireAsync(request.TenantId, request.OperatorId, cancellationToken);
        var current = await assignments.GetAsync(request.TenantId, request.AssignmentId, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "Assignment not found");
        if (request.ToOperatorId is { } target)
        {
            var membership = await operators.FindMembershipAsync(request.TenantId, target, cancellationToken);
            if (membership is not { Active: true, OperatorActive: true })
            {
                throw new NotFoundException(ErrorCodes.OperatorNotFound, "Operator not found");
            }

            if (!OperatorAccess.Serves(membership, current.RoutingKey))
            {
                throw new ForbiddenException(ErrorCodes.ForbiddenRoutingKey, "That operator does not serve this queue");
            }
        }

        var moved = await assignments.TransferAsync(request.TenantId, request.AssignmentId, request.OperatorId, request.ToOperatorId,
            request.RoutingKey, clock.GetUtcNow(), cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.AssignmentNotFound, "No open assignment of yours with this id");

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
