using Bloonio.Relay.Core.Common;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Operators;

public sealed record FetchOperatorTokenCommand(Guid TenantId, string? Email) : IRequest<FetchOperatorTokenResult>, ITenantScoped;

public sealed record FetchOperatorTokenResult(
    Guid OperatorId, string DisplayName, string OperatorToken, long ExpiresAt, Guid TenantId, IReadOnlyList<string>? RoutingKeys);

public sealed class FetchOperatorTokenValidator : AbstractValidator<FetchOperatorTokenCommand>
{
    public FetchOperatorTokenValidator() => this.ApplyEmailRule(x => x.Email);
}

/// <summary>
/// The Operators page: 404 when the operator does not exist or is inactive, 403 when its membership in the calling
/// tenant is inactive. An operator that has never been a member of the calling tenant is, for that tenant, an
/// operator that does not exist (404): answering 403 would tell it the person operates for another tenant.
/// </summary>
public sealed class FetchOperatorTokenHandler(IOperatorRepository operators, IOperatorTokenIssuer issuer)
    : IRequestHandler<FetchOperatorTokenCommand, FetchOperatorTokenResult>
{
    public async Task<FetchOperatorTokenResult> Handle(FetchOperatorTokenCommand request, CancellationToken cancellationToken)
    {
        var membership = await operators.FindMembershipAsync(request.TenantId, OperatorRules.NormalizeEmail(request.Email!), cancellationToken);
        if (membership is null || !membership.OperatorActive)
        {
            throw new NotFoundException(ErrorCodes.OperatorNotFound, "Operator not found");
        }

        if (!membership.Active)
        {
            throw new ForbiddenException(ErrorCodes.MembershipInactive, "Operator has no active membership in this tenant");
        }

        var token = issuer.Issue(membership);
        return new FetchOperatorTokenResult(membership.OperatorId, membership.DisplayName, token.Token,
            token.ExpiresAt.ToUnixTimeSeconds(), membership.TenantId, membership.RoutingKeys);
    }
}
