using System.Security.Claims;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Console;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;

namespace Bloonio.Relay.Web.ConsolePages;

public static class ConsoleAuth
{
    public const string Scheme = "console";
    public const string TenantClaim = "console_tid";

    /// <summary>The account's credential version when the cookie was issued: a password change makes older cookies void.</summary>
    public const string CredentialClaim = "console_cv";

    public static IServiceCollection AddConsoleAuth(this IServiceCollection services)
    {
        services.AddAuthentication().AddCookie(Scheme, o =>
        {
            o.LoginPath = "/console/login";
            o.LogoutPath = "/console/logout";
            o.Cookie.Name = "bloonio_console";
            o.Cookie.HttpOnly = true;
            o.Cookie.SameSite = SameSiteMode.Lax;
            o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            o.ExpireTimeSpan = TimeSpan.FromHours(12);
            o.SlidingExpiration = true;
        });
        // Secure whenever the request is HTTPS (directly, or as a trusted proxy says: Relay:TrustedProxies).
        services.AddAntiforgery(o => o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest);
        services.AddScoped<ConsoleTenantFilter>();
        services.AddSingleton<IConsoleMailer, ConsoleMailer>();
        return services;
    }

    public static Task SignInAsync(HttpContext http, ConsoleUser user, Guid tenantId) =>
        http.SignInAsync(Scheme, new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, user.UserId.ToString()),
            new Claim(ClaimTypes.Email, user.Email),
            new Claim(ClaimTypes.Name, user.DisplayName ?? user.Email),
            new Claim(TenantClaim, tenantId.ToString()),
            new Claim(CredentialClaim, user.CredentialVersion.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        ], Scheme)));
}

/// <summary>Where a console request stands: who, in which tenant, with which role, and the other tenants to switch to.</summary>
public sealed record ConsoleContext(Guid UserId, string Email, string Name, ConsoleMembership Current, IReadOnlyList<ConsoleMembership> Memberships)
{
    public bool CanManage => ConsoleRoles.CanManage(Current.Role);
}

/// <summary>
/// Re-reads the signed-in person's memberships on every request (a removed member loses access at once), fixes the
/// current tenant, fills the CallerContext for the audit log, and enforces [ConsoleManage] on the server.
/// </summary>
public sealed class ConsoleTenantFilter(IConsoleRepository console, CallerContext caller) : IAsyncActionFilter
{
    public async Task OnActionExecutionAsync(ActionExecutingContext context, ActionExecutionDelegate next)
    {
        var user = context.HttpContext.User;
        if (user.Identity?.IsAuthenticated != true || !Guid.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
        {
            await next();
            return;
        }

        // A cookie from before a password change (a reset after a takeover, say) no longer opens the console.
        var version = await console.CredentialVersionAsync(userId, context.HttpContext.RequestAborted);
        var memberships = version is { } v && user.FindFirstValue(ConsoleAuth.CredentialClaim) == v.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ? await console.MembershipsAsync(userId, context.HttpContext.RequestAborted)
            : [];
        var wanted = Guid.TryParse(user.FindFirstValue(ConsoleAuth.TenantClaim), out var t) ? t : Guid.Empty;
        var current = memberships.FirstOrDefault(m => m.TenantId == wanted) ?? memberships.FirstOrDefault();
        if (current is null)
        {
            await context.HttpContext.SignOutAsync(ConsoleAuth.Scheme);
            context.Result = new RedirectResult("/console/login");
            return;
        }

        var console_ = new ConsoleContext(userId, user.FindFirstValue(ClaimTypes.Email)!, user.FindFirstValue(ClaimTypes.Name)!, current, memberships);
        context.HttpContext.Items[typeof(ConsoleContext)] = console_;
        caller.TenantId = current.TenantId;
        caller.Actor = $"console:{console_.Email}";
        caller.IpAddress = context.HttpContext.Connection.RemoteIpAddress?.ToString();

        var manageOnly = context.ActionDescriptor.EndpointMetadata.OfType<ConsoleManageAttribute>().Any();
        if (manageOnly && !console_.CanManage)
        {
            context.Result = new ViewResult { ViewName = "Forbidden", StatusCode = StatusCodes.Status403Forbidden };
            return;
        }

        await next();
    }
}

/// <summary>Owners and admins only; an operator gets 403.</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class ConsoleManageAttribute : Attribute;
