using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Bloonio.Relay.Web.Auth;

/// <summary>Signs the relay's JWTs (HS256, the key ring's signer): issuer, audience, lifetime and a jti, plus the claims given.</summary>
public sealed class RelayTokenFactory(JwtKeyRing keys, TimeProvider clock)
{
    private static readonly JsonWebTokenHandler Handler = new();

    /// <returns>The token and its expiry, truncated to the second as <c>exp</c> is.</returns>
    public (string Token, DateTimeOffset ExpiresAt) Create(string audience, TimeSpan lifetime, IDictionary<string, object> claims)
    {
        var now = clock.GetUtcNow();
        var expires = DateTimeOffset.FromUnixTimeSeconds((now + lifetime).ToUnixTimeSeconds());
        claims[JwtRegisteredClaimNames.Jti] = Ids.New(clock).ToString();
        var token = Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = RelayTokenNames.Issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            SigningCredentials = new SigningCredentials(keys.Signer, SecurityAlgorithms.HmacSha256),
            Claims = claims,
        });
        return (token, expires);
    }
}
