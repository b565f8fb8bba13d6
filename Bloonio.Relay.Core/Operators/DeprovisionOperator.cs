using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Operators;

public sealed record DeprovisionOperatorCommand(Guid TenantId, string? Email) : IRequest<DeprovisionOperatorResult>, ITenantScoped;

public sealed record DeprovisionOperatorResult(Guid OperatorId, string Email, Guid TenantId, bool Active);

public sealed class DeprovisionOperatorValidator : AbstractValidator<DeprovisionOperatorCommand>
{
    public DeprovisionOperatorValidator() => this.ApplyEmailRule(x => x.Email);
}

/// <summary>
/// Deactivates the membership in the calling tenant and bumps its token version, so every token minted for it stops
/// working at once; the operator's memberships in other tenants are untouched. Idempotent.
/// </summary>
public sealed class DeprovisionOperatorHandler(
    IOperatorRepository operators, IEnumerable<IOperatorMembershipListener> listeners, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<DeprovisionOperatorCommand, DeprovisionOperatorResult>
{
    public async Task<DeprovisionOperatorResult> Handle(DeprovisionOperatorCommand request, CancellationToken cancellationToken)
    {
        var email = OperatorRules.NormalizeEmail(request.Email!);
        var audit = AuditEntry.For(caller, clock, request.TenantId, "operator.deprovisioned", email);
        var membership = await operators.DeactivateAsync(request.TenantId, email, audit, cancellationToken)
            ?? throw new NotFoundException(ErrorCodes.OperatorNotFound, "Operator not found");

        foreach (var listener in listeners)
        {
            await listener.MembershipRevokedAsync(membership.TenantId, membership.OperatorId, cancellationToken);
        }

        return new DeprovisionOperatorResult(membership.OperatorId, email, membership.TenantId, false);
    }
}

/// <summary>Applies membership changes to live operator connections: revocation closes them, new routing keys regroup them.</summary>
public interface IOperatorMembershipListener
{
    Task MembershipRevokedAsync(Guid tenantId, Guid operatorId, CancellationToken ct);

    Task RoutingKeysChangedAsync(Guid tenantId, Guid operatorId, IReadOnlyList<string>? before, IReadOnlyList<string>? after, CancellationToken ct);
}
