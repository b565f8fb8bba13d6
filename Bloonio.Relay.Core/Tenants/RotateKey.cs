using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Events;
using Bloonio.Relay.Core.Security;
using FluentValidation;
using MediatR;

namespace Bloonio.Relay.Core.Tenants;

public static class KeyKinds
{
    public const string TenantSecret = "tenant_secret";
    public const string WidgetKey = "widget_key";
}

/// <summary>
/// SPEC 3: a new tenant secret or widget key, shown once; the previous one keeps working for the grace period
/// (default 24 h, 0 = revoked now, at most 7 days). Audited, and a key.rotated event (which never carries a key).
/// </summary>
public sealed record RotateKeyCommand(Guid TenantId, string Kind, int? GraceSeconds) : IRequest<RotatedKey>, ITenantScoped;

public sealed record RotatedKey(Guid TenantId, string Kind, string Value, DateTimeOffset PreviousExpiresAt, int GraceSeconds);

public sealed class RotateKeyValidator : AbstractValidator<RotateKeyCommand>
{
    public const int MaxGraceSeconds = 7 * 24 * 3600;

    public RotateKeyValidator() =>
        RuleFor(x => x.GraceSeconds).InclusiveBetween(0, MaxGraceSeconds).WithMessage($"must be between 0 (revoke now) and {MaxGraceSeconds} (7 days)");
}

public sealed class RotateKeyHandler(ITenantRepository tenants, ISecretProtector protector, ICallerContext caller, TimeProvider clock)
    : IRequestHandler<RotateKeyCommand, RotatedKey>
{
    public const int DefaultGraceSeconds = 24 * 3600;

    public async Task<RotatedKey> Handle(RotateKeyCommand request, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var grace = request.GraceSeconds ?? DefaultGraceSeconds;
        var previousExpiresAt = now.AddSeconds(grace);
        var audit = AuditEntry.For(caller, clock, request.TenantId, "key.rotated", request.Kind,
            new Dictionary<string, object?> { ["grace_seconds"] = grace });
        var rotated = new RelayEvent(Ids.New(clock), EventTypes.KeyRotated,
            new { kind = request.Kind, grace_seconds = grace, previous_expires_at = previousExpiresAt }, now);

        string value;
        bool found;
        if (request.Kind == KeyKinds.WidgetKey)
        {
            value = SecretGenerator.NewWidgetKey();
            found = await tenants.RotateWidgetKeyAsync(request.TenantId, value, previousExpiresAt, audit, rotated, cancellationToken);
        }
        else
        {
            value = SecretGenerator.NewTenantSecret();
            found = await tenants.RotateSecretAsync(request.TenantId, protector.Protect(value, SecretPurpose.TenantSecret(request.TenantId)), previousExpiresAt, audit, rotated, cancellationToken);
        }

        return found
            ? new RotatedKey(request.TenantId, request.Kind, value, previousExpiresAt, grace)
            : throw new NotFoundException(ErrorCodes.TenantNotFound, "Tenant not found");
    }
}
