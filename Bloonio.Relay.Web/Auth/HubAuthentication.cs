using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;

namespace Bloonio.Relay.Web.Auth;

/// <summary>
/// The hubs' authentication: ASP.NET Core's JwtBearer, one scheme per hub with its own audience, so a visitor token
/// never opens the operator hub. The token comes from a Bearer header or, where a browser cannot set one (WebSockets,
/// server-sent events), from <c>access_token</c> in the query string. Operator tokens are also checked against the
/// membership (active, token version not revoked). <see cref="Hubs.HubGate"/> runs the schemes (hub requests do not
/// go through the authentication and authorization middleware) and answers their failures.
/// </summary>
public static class HubAuthentication
{
    public const string VisitorScheme = "visitor-token";
    public const string OperatorScheme = "operator-token";

    public static IServiceCollection AddHubAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication()
            .AddJwtBearer(VisitorScheme, _ => { })
            .AddJwtBearer(OperatorScheme, _ => { });
        services.AddOptions<JwtBearerOptions>(VisitorScheme)
            .Configure<OperatorTokenValidator>((o, validator) => Configure(o, validator, RelayTokenNames.VisitorAudience));
        services.AddOptions<JwtBearerOptions>(OperatorScheme)
            .Configure<OperatorTokenValidator>((o, validator) => Configure(o, validator, RelayTokenNames.OperatorAudience));
        return services;
    }

    private static void Configure(JwtBearerOptions options, OperatorTokenValidator validator, string audience)
    {
        options.TokenValidationParameters = validator.Parameters(audience);
        options.MapInboundClaims = false; // keep sub, tid, sid and tids as issued
        options.Events = new JwtBearerEvents
        {
            OnMessageReceived = context =>
            {
                if (string.IsNullOrEmpty(context.Request.Headers.Authorization) && context.Request.Query["access_token"] is { Count: > 0 } token)
                {
                    context.Token = token.ToString();
                }

                return Task.CompletedTask;
            },
            OnTokenValidated = async context =>
            {
                if (audience == RelayTokenNames.OperatorAudience
                    && await validator.CheckMembershipAsync((ClaimsIdentity)context.Principal!.Identity!, context.HttpContext.RequestAborted) is null)
                {
                    context.Fail("membership inactive or token revoked");
                    return;
                }

                context.Principal = Slim(context.Principal!);
            },
        };
    }

    /// <summary>
    /// The principal a connection keeps for its lifetime: the claims the hubs read, as plain claims. The handler's
    /// identity holds the parsed token (its text, header and payload) and every registered claim; kept by every idle
    /// connection, that was the largest part of the relay's memory per connection beyond a bare hub's.
    /// </summary>
    private static ClaimsPrincipal Slim(ClaimsPrincipal principal)
    {
        var identity = (ClaimsIdentity)principal.Identity!;
        return new ClaimsPrincipal(new ClaimsIdentity(identity.Claims.Where(c => KeptClaims.Contains(c.Type))
            .Select(c => new Claim(c.Type, c.Value)).ToList(), identity.AuthenticationType));
    }

    private static readonly HashSet<string> KeptClaims =
    [
        JwtRegisteredClaimNames.Sub, JwtRegisteredClaimNames.Exp, RelayTokenNames.TenantId, RelayTokenNames.SessionId,
        RelayTokenNames.TenantRoles, RelayTokenNames.TokenVersion,
    ];

    /// <summary>The tenant of a hub caller: a visitor token's <c>tid</c>, or an operator token's single tenant.</summary>
    public static Guid? TenantOf(ClaimsPrincipal user)
    {
        if (Guid.TryParse(user.FindFirst(RelayTokenNames.TenantId)?.Value, out var visitorTenant))
        {
            return visitorTenant;
        }

        return OperatorTokenValidator.ReadSingleTenant(user.FindFirst(RelayTokenNames.TenantRoles)?.Value) is var (tenantId, _) ? tenantId : null;
    }

    public static Guid SubjectOf(ClaimsPrincipal user) => Guid.Parse(user.FindFirst(JwtRegisteredClaimNames.Sub)!.Value);
}
