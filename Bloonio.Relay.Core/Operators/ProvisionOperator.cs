using System.Security.Cryptography;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Core.Quotas;
using FluentValidation;
using Microsoft.Extensions.Options;
using MediatR;

namespace Bloonio.Relay.Core.Operators;

public sealed record ProvisionOperatorCommand(
    Guid TenantId, string? Email, string? DisplayName, string? AvatarUrl, IReadOnlyList<string?>? RoutingKeys, int? MaxConcurrent = null)
    : IRequest<ProvisionOperatorResult>, ITenantScoped;

public sealed record ProvisionOperatorResult(
    Guid OperatorId, string Email, string DisplayName, Guid TenantId, IReadOnlyList<string>? RoutingKeys, bool Created);

public sealed class ProvisionOperatorValidator : AbstractValidator<ProvisionOperatorCommand>
{
    public ProvisionOperatorValidator()
    {
        this.ApplyEmailRule(x => x.Email);
        RuleFor(x => x.DisplayName).Must(n => !string.IsNullOrWhiteSpace(n) && n.Trim().Length <= 120)
            .WithMessage("is required, 1 to 120 characters");
        RuleFor(x => x.AvatarUrl).MustBeHttpsUrl();
        RuleFor(x => x.RoutingKeys).Must(k => k is null || k.Count <= OperatorRules.MaxRoutingKeys)
            .WithMessage($"must have at most {OperatorRules.MaxRoutingKeys} entries");
        RuleForEach(x => x.RoutingKeys).MustBeRoutingKey();
        RuleFor(x => x.MaxConcurrent).InclusiveBetween(1, TenantRules.MaxMaxConcurrent)
            .WithMessage($"must be between 1 and {TenantRules.MaxMaxConcurrent}, or absent for the tenant's setting");
    }
}

/// <summary>
/// Idempotent on (email, calling tenant): 201 the first time in this tenant, then 200 with the membership's display
/// data and routing keys refreshed. The same person provisioned by another tenant reuses the operator; this tenant
/// still sees <c>created: true</c>, so no tenant learns who operates elsewhere.
/// </summary>
public sealed class ProvisionOperatorHandler(
    IOperatorRepository operators, IPasswordHasher hasher, IEnumerable<IOperatorMembershipListener> listeners, ITenantRepository tenants,
    IOptions<QuotaDefaults> quotas, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<ProvisionOperatorCommand, ProvisionOperatorResult>
{
    public async Task<ProvisionOperatorResult> Handle(ProvisionOperatorCommand request, CancellationToken cancellationToken)
    {
        var email = OperatorRules.NormalizeEmail(request.Email!);
        var routingKeys = OperatorRules.NormalizeRoutingKeys(request.RoutingKeys);
        var provision = new OperatorProvision(Ids.New(clock), request.TenantId, email, request.DisplayName!.Trim(),
            string.IsNullOrEmpty(request.AvatarUrl) ? null : request.AvatarUrl, routingKeys, clock.GetUtcNow(), request.MaxConcurrent);

        var before = await operators.FindMembershipAsync(request.TenantId, email, cancellationToken);

        // Hashing is deliberately slow: skip it when the person already exists (the hash is only used on insert).
        var passwordHash = before is not null || await operators.ExistsAsync(email, cancellationToken)
            ? ""
            : hasher.Hash(SecretGenerator.RandomToken(RandomNumberGenerator.GetInt32(32, 48)));
        var audit = AuditEntry.For(caller, clock, request.TenantId, "operator.provisioned", email,
            new Dictionary<string, object?> { ["routing_keys"] = routingKeys });
        var limit = quotas.Value.For((await tenants.GetAsync(request.TenantId, cancellationToken))?.Quotas ?? new TenantQuotas()).Operators;
        var outcome = await operators.ProvisionAsync(provision, passwordHash, limit, audit, cancellationToken);
        if (outcome.QuotaExceeded)
        {
            throw new QuotaExceededException($"This tenant already has its {limit} active operators; deprovision one or ask for a higher quota",
                retryAfterSeconds: 3600);
        }
        if (before is { Active: true } && !SameKeys(before.RoutingKeys, routingKeys))
        {
            foreach (var listener in listeners)
            {
                await listener.RoutingKeysChangedAsync(request.TenantId, outcome.OperatorId, before.RoutingKeys, routingKeys, cancellationToken);
            }
        }

        return new ProvisionOperatorResult(outcome.OperatorId, email, provision.DisplayName, request.TenantId,
            routingKeys, outcome.Created);
    }

    private static bool SameKeys(IReadOnlyList<string>? a, IReadOnlyList<string>? b) =>
        a is null || b is null ? a is null && b is null : a.Order(StringComparer.Ordinal).SequenceEqual(b.Order(StringComparer.Ordinal));
}
