using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Sessions;
using Bloonio.Relay.Web.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Bloonio.Relay.Web.Auth;

/// <summary>Visitor JWTs (SPEC 5): audience <c>bloonio-relay-visitor</c>, <c>sub</c> visitor id, <c>tid</c>, <c>sid</c>, 12 h.</summary>
public sealed class VisitorTokenIssuer(JwtKeyRing keys, TimeProvider clock) : IVisitorTokenIssuer
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromHours(12);
    private static readonly JsonWebTokenHandler Handler = new();

    public VisitorToken Issue(Guid tenantId, Guid sessionId, Guid visitorId)
    {
        var now = clock.GetUtcNow();
        var expires = now + Lifetime;
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = RelayTokenNames.Issuer,
            Audience = RelayTokenNames.VisitorAudience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.Signer, SecurityAlgorithms.HmacSha256),
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = visitorId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Ids.New(clock).ToString(),
                [RelayTokenNames.TenantId] = tenantId.ToString(),
                [RelayTokenNames.SessionId] = sessionId.ToString(),
            },
        });
        return new VisitorToken(token, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }
}
