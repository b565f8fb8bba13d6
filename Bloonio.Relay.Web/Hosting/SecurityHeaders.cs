using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Response headers against content sniffing, clickjacking and script injection, and the proxy the relay trusts.
/// <list type="bullet">
/// <item>Every answer: <c>X-Content-Type-Options: nosniff</c>, <c>Referrer-Policy: strict-origin-when-cross-origin</c>.</item>
/// <item>Pages of our own (console, inbox, demo): a CSP without inline scripts (there are none: every script is a file),
/// <c>frame-ancestors 'none'</c> and <c>X-Frame-Options: DENY</c> (the inbox: framed by the console only, <c>'self'</c>);
/// the demo page's inline style carries a nonce.</item>
/// <item>The API and hubs: <c>default-src 'none'; frame-ancestors 'none'</c> (JSON is never a document).</item>
/// <item>Swagger UI (its own inline code): scripts and styles inline allowed, framing not.</item>
/// <item>HSTS outside Development, on HTTPS (directly or as the trusted proxy says).</item>
/// </list>
/// <c>Relay:TrustedProxies</c> (networks, e.g. <c>10.0.0.0/8,127.0.0.1/32</c>) feeds the forwarded-headers middleware:
/// only from those addresses are <c>X-Forwarded-For</c> and <c>X-Forwarded-Proto</c> believed, so the client's address
/// (audit log, per-address limits) and HTTPS (Secure cookies, HSTS) are right behind a proxy and cannot be forged
/// from outside it.
/// </summary>
public static class SecurityHeaders
{
    public const string NonceItem = "csp-nonce";

    public const string PageCsp =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

    private const string ApiCsp = "default-src 'none'; frame-ancestors 'none'";

    private const string SwaggerCsp =
        "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

    public static IServiceCollection AddRelayForwardedHeaders(this IServiceCollection services, IConfiguration configuration)
    {
        var networks = new List<System.Net.IPNetwork>();
        foreach (var entry in (configuration["Relay:TrustedProxies"] ?? "").Split([',', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (System.Net.IPNetwork.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(entry, out var address))
            {
                networks.Add(new System.Net.IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                throw new RelayConfigurationException(
                    [$"Relay:TrustedProxies: \"{entry}\" is neither an address nor a network (e.g. 10.0.0.0/8)"]);
            }
        }

        services.Configure<ForwardedHeadersOptions>(o =>
        {
            o.ForwardedHeaders = networks.Count == 0 ? ForwardedHeaders.None : ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            o.KnownIPNetworks.Clear();
            o.KnownProxies.Clear();
            foreach (var network in networks)
            {
                o.KnownIPNetworks.Add(network);
            }

            o.ForwardLimit = networks.Count == 0 ? 0 : 2;
        });
        return services;
    }

    public static WebApplication UseRelaySecurityHeaders(this WebApplication app)
    {
        app.UseForwardedHeaders();
        if (!app.Environment.IsDevelopment())
        {
            app.UseHsts();
        }

        app.Use((context, next) =>
        {
            // Set as the answer starts: the exception handler clears headers it finds, and runs after this.
            context.Response.OnStarting(() =>
            {
                Write(context);
                return Task.CompletedTask;
            });
            if (IsPage(context.Request.Path))
            {
                context.Items[NonceItem] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
            }

            return next(context);
        });
        return app;
    }

    private static bool IsPage(PathString path) =>
        !path.StartsWithSegments("/api") && !path.StartsWithSegments("/hubs") && !path.StartsWithSegments("/openapi")
        && !path.StartsWithSegments("/swagger") && !path.StartsWithSegments("/widget.js") && !path.StartsWithSegments("/lib");

    private static void Write(HttpContext context)
    {
        {
            var headers = context.Response.Headers;
            headers["X-Correlation-Id"] = context.TraceIdentifier;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "strict-origin-when-cross-origin";
            var path = context.Request.Path;
            if (path.StartsWithSegments("/api") || path.StartsWithSegments("/hubs") || path.StartsWithSegments("/openapi"))
            {
                if (string.IsNullOrEmpty(headers.ContentSecurityPolicy))
                {
                    headers.ContentSecurityPolicy = ApiCsp; // an endpoint's own (a served file's sandbox) stands
                }
            }
            else if (path.StartsWithSegments("/swagger"))
            {
                headers.ContentSecurityPolicy = SwaggerCsp;
                headers.XFrameOptions = "DENY";
            }
            else if (context.Items[NonceItem] is string nonce)
            {
                // Our pages. A page that needs an inline element gets a nonce for it (HttpContext.Items[NonceItem]).
                var csp = PageCsp.Replace("style-src 'self'", $"style-src 'self' 'nonce-{nonce}'", StringComparison.Ordinal);
                if (path.StartsWithSegments("/operator"))
                {
                    // The inbox is framed by the console's own Inbox page, and by nothing else.
                    headers.ContentSecurityPolicy = csp.Replace("frame-ancestors 'none'", "frame-ancestors 'self'", StringComparison.Ordinal);
                    headers.XFrameOptions = "SAMEORIGIN";
                }
                else
                {
                    headers.ContentSecurityPolicy = csp;
                    headers.XFrameOptions = "DENY";
                }
            }
        }
    }
}
