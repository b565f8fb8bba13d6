using Bloonio.Relay.Core.Sessions;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bloonio.Relay.Web.Auth;

/// <summary>Visitor JWTs (SPEC 5): audience <c>bloonio-relay-visitor</c>, <c>sub</c> visitor id, <c>tid</c>, <c>sid</c>, 12 h.</summary>
public sealed class VisitorTokenIssuer(RelayTokenFactory tokens) : IVisitorTokenIssuer
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);

    public VisitorToken Issue(Guid tenantId, Guid sessionId, Guid visitorId)
    {
        var (token, expiresAt) = tokens.Create(RelayTokenNames.VisitorAudience, Lifetime, new Dictionary<string, object>
        {
            [JwtRegisteredClaimNames.Sub] = visitorId.ToString(),
            [RelayTokenNames.TenantId] = tenantId.ToString(),
            [RelayTokenNames.SessionId] = sessionId.ToString(),
        });
        return new VisitorToken(token, expiresAt);
    }
}
