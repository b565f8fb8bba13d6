using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bloonio.Relay.Web.Auth;

/// <summary>
/// Authenticates hub connections from <c>access_token</c> (query string, as browsers' WebSockets must) or a Bearer
/// header. Each hub has its own scheme and audience, so a visitor token never opens the operator hub; operator tokens
/// are also checked against the membership (active, not revoked).
/// </summary>
public sealed class HubTokenAuthenticationHandler(
    IOptionsMonitor<HubTokenOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    OperatorTokenValidator validator)
    : AuthenticationHandler<HubTokenOptions>(options, logger, encoder)
{
    public const string VisitorScheme = "visitor-token";
    public const string OperatorScheme = "operator-token";
    private static readonly JsonWebTokenHandler Tokens = new();

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : Request.Query["access_token"].ToString();
        if (string.IsNullOrEmpty(token))
        {
            return AuthenticateResult.NoResult();
        }

        var result = await Tokens.ValidateTokenAsync(token, validator.Parameters(Options.Audience));
        if (!result.IsValid)
        {
            return AuthenticateResult.Fail("invalid token");
        }

        var identity = result.ClaimsIdentity;
        if (Options.Audience == RelayTokenNames.OperatorAudience
            && await validator.CheckMembershipAsync(identity, Context.RequestAborted) is not { } op)
        {
            return AuthenticateResult.Fail("membership inactive or token revoked");
        }

        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name));
    }
}

public sealed class HubTokenOptions : AuthenticationSchemeOptions
{
    public string Audience { get; set; } = "";
}
