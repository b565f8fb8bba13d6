using System.Security.Claims;
using System.Text.Json;
using Bloonio.Relay.Core;
using Bloonio.Relay.Core.Operators;
using Bloonio.Relay.Web.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Bloonio.Relay.Web.Auth;

public static class RelayTokenNames
{
    public const string Issuer = "bloonio-relay";
    public const string OperatorAudience = "bloonio-relay-operator";
    public const string VisitorAudience = "bloonio-relay-visitor";
    public const string TenantRoles = "tids";
    public const string TokenVersion = "tv";
    public const string TenantId = "tid";
    public const string SessionId = "sid";
}

/// <summary>
/// Operator JWTs (HS256, key ring): <c>sub</c> operator id, <c>tids</c> {tenant_id: role} with only the calling
/// tenant, <c>tv</c> the membership's token version (bumped on deprovisioning), <c>jti</c>, ~7 days.
/// </summary>
public sealed class JwtOperatorTokenIssuer(RelayTokenFactory tokens, IOptions<RelayCoreOptions> options) : IOperatorTokenIssuer
{
    public IssuedOperatorToken Issue(OperatorMembership membership)
    {
        var (token, expiresAt) = tokens.Create(RelayTokenNames.OperatorAudience, options.Value.OperatorTokenLifetime, new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = membership.OperatorId.ToString(),
            [RelayTokenNames.TenantRoles] = new Dictionary<string, object> { [membership.TenantId.ToString()] = membership.Role },
            [RelayTokenNames.TokenVersion] = membership.TokenVersion,
        });
        return new IssuedOperatorToken(token, expiresAt);
    }
}

public sealed record OperatorIdentity(Guid OperatorId, Guid TenantId, string Role, OperatorMembership Membership);

/// <summary>
/// Checks an operator token as the operator hub will: signature, issuer, audience, lifetime on the relay's clock,
/// then the membership: still active, and the token's version is the current one (not revoked).
/// </summary>
public sealed class OperatorTokenValidator(JwtKeyRing keys, TimeProvider clock, IOperatorRepository operators)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public TokenValidationParameters Parameters(string audience) => new()
    {
        ValidIssuer = RelayTokenNames.Issuer,
        ValidAudience = audience,
        IssuerSigningKeys = keys.All,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        ClockSkew = TimeSpan.FromSeconds(30),
        LifetimeValidator = (notBefore, expires, _, p) =>
        {
            var now = clock.GetUtcNow().UtcDateTime;
            return (notBefore is null || notBefore <= now + p.ClockSkew) && expires is not null && expires > now - p.ClockSkew;
        },
        NameClaimType = JwtRegisteredClaimNames.Sub,
    };

    public async Task<OperatorIdentity?> ValidateAsync(string token, CancellationToken ct)
    {
        var result = await Handler.ValidateTokenAsync(token, Parameters(RelayTokenNames.OperatorAudience));
        return result.IsValid ? await CheckMembershipAsync(result.ClaimsIdentity, ct) : null;
    }

    public async Task<OperatorIdentity?> CheckMembershipAsync(ClaimsIdentity identity, CancellationToken ct)
    {
        if (!Guid.TryParse(identity.FindFirst(JwtRegisteredClaimNames.Sub)?.Value, out var operatorId)
            || !int.TryParse(identity.FindFirst(RelayTokenNames.TokenVersion)?.Value, out var version)
            || ReadSingleTenant(identity.FindFirst(RelayTokenNames.TenantRoles)?.Value) is not var (tenantId, role))
        {
            return null;
        }

        var membership = await operators.FindMembershipAsync(tenantId, operatorId, ct);
        return membership is { Active: true, OperatorActive: true } && membership.TokenVersion == version
            ? new OperatorIdentity(operatorId, tenantId, role, membership)
            : null;
    }

    internal static (Guid, string)? ReadSingleTenant(string? json)
    {
        if (json is null || !json.StartsWith('{'))
        {
            return null; // tids must be an object ({tenant_id: role}); a string or anything else is no tenant at all
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException)
        {
            return null; // a string claim that only looks like an object
        }

        using var _ = document;
        var tenants = document.RootElement.ValueKind == JsonValueKind.Object ? document.RootElement.EnumerateObject().ToList() : [];
        return tenants.Count == 1 && Guid.TryParse(tenants[0].Name, out var tenantId) && tenants[0].Value.ValueKind == JsonValueKind.String
            ? (tenantId, tenants[0].Value.GetString()!)
            : null;
    }
}
