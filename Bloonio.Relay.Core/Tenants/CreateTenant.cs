using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using FluentValidation;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Core.Tenants;

public sealed record CreateTenantCommand(
    string? Name,
    IReadOnlyList<string?>? AllowedOrigins,
    string? WebhookUrl,
    string? OwnerEmail,
    TenantQuotas? Quotas,
    Guid? TenantId = null) : IRequest<CreatedTenant>;

/// <summary>The only response that carries the tenant secret: it is shown once.</summary>
public sealed record CreatedTenant(
    Guid TenantId, string Name, string Status, string TenantSecret, string WidgetPublicKey, string? OwnerEmail,
    TenantConfiguration Configuration, TenantQuotas Quotas, DateTimeOffset CreatedAt);

public sealed class CreateTenantValidator : AbstractValidator<CreateTenantCommand>
{
    public CreateTenantValidator(IOptions<RelayCoreOptions> options)
    {
        RuleFor(x => x.Name).Must(n => !string.IsNullOrWhiteSpace(n) && n.Trim().Length <= 120)
            .WithMessage("is required, 1 to 120 characters");
        RuleFor(x => x.AllowedOrigins).Must(o => o is null || o.Count <= TenantRules.MaxOrigins)
            .WithMessage($"must have at most {TenantRules.MaxOrigins} entries");
        RuleForEach(x => x.AllowedOrigins).MustBeOrigin();
        RuleFor(x => x.WebhookUrl).MustBeWebhookUrl(options.Value.AllowInsecureWebhooks);
        RuleFor(x => x.OwnerEmail).MustBeEmail().When(x => x.OwnerEmail is not null);
        this.ApplyQuotaRules(x => x.Quotas);
    }
}

public sealed class CreateTenantHandler(
    ITenantRepository tenants, ISecretProtector protector, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<CreateTenantCommand, CreatedTenant>
{
    public async Task<CreatedTenant> Handle(CreateTenantCommand request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var secret = SecretGenerator.NewTenantSecret();
        var configuration = new TenantConfiguration
        {
            AllowedOrigins = (request.AllowedOrigins ?? []).Select(o => o!.ToLowerInvariant()).Distinct().ToList(),
            WebhookUrl = string.IsNullOrEmpty(request.WebhookUrl) ? null : request.WebhookUrl,
        };
        var tenant = new Tenant(
            request.TenantId ?? Ids.New(clock), request.Name!.Trim(), TenantStatuses.Active,
            request.OwnerEmail?.Trim().ToLowerInvariant(), configuration, request.Quotas ?? new TenantQuotas(),
            SecretGenerator.NewWidgetKey(), now, now);

        var audit = AuditEntry.For(caller, clock, tenant.TenantId, "tenant.created", tenant.TenantId.ToString(),
            new Dictionary<string, object?> { ["name"] = tenant.Name });
        await tenants.CreateAsync(new NewTenant(tenant, protector.Protect(secret, SecretPurpose.TenantSecret(tenant.TenantId))), audit, cancellationToken);

        return new CreatedTenant(tenant.TenantId, tenant.Name, tenant.Status, secret, tenant.WidgetPublicKey,
            tenant.OwnerEmail, tenant.Configuration, tenant.Quotas, tenant.CreatedAt);
    }
}
