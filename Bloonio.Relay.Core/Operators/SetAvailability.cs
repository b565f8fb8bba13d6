using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Operators;

/// <summary>An operator sets itself away (no auto-assignment, shown as away) or available again.</summary>
public sealed record SetAvailabilityCommand(Guid TenantId, Guid OperatorId, string? Status) : IRequest<string>, ITenantScoped;

public sealed class SetAvailabilityValidator : AbstractValidator<SetAvailabilityCommand>
{
    public SetAvailabilityValidator() =>
        RuleFor(x => x.Status).Must(s => s is "available" or "away").WithMessage("must be available or away");
}

public sealed class SetAvailabilityHandler(IOperatorRepository operators) : IRequestHandler<SetAvailabilityCommand, string>
{
    public async Task<string> Handle(SetAvailabilityCommand request, CancellationToken cancellationToken) =>
        await operators.SetAvailabilityAsync(request.TenantId, request.OperatorId, request.Status!, cancellationToken)
            ? request.Status!
            : throw new ForbiddenException(ErrorCodes.MembershipInactive, "Operator has no active membership in this tenant");
}
