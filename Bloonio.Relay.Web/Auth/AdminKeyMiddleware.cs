using System.Security.Cryptography;
using System.Text;
using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Web.Configuration;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Auth;

/// <summary><c>/api/v1/admin/*</c> requires <c>Authorization: Bearer &lt;Relay:AdminApiKey&gt;</c>; no key configured = admin API off.</summary>
public sealed class AdminKeyMiddleware(RequestDelegate next, IOptions<RelayOptions> options)
{
    private readonly byte[]? _expected = string.IsNullOrEmpty(options.Value.AdminApiKey)
        ? null
        : SHA256.HashData(Encoding.UTF8.GetBytes(options.Value.AdminApiKey));

    public async Task InvokeAsync(HttpContext context, CallerContext caller)
    {
        if (_expected is null)
        {
            throw new AuthenticationFailedException(ErrorCodes.Unauthorized, "The admin API is disabled (Relay:AdminApiKey is not set)");
        }

        var header = context.Request.Headers.Authorization.ToString();
        var presented = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : "";
        // Hashing both sides makes the comparison constant-time whatever the lengths.
        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected))
        {
            throw new AuthenticationFailedException(ErrorCodes.Unauthorized, "A valid admin API key is required (Authorization: Bearer <key>)");
        }

        caller.Actor = "admin-api";
        await next(context);
    }
}
