using Bloonio.Relay.Core.Common;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Core.Tenants;
using Bloonio.Relay.Web.Configuration;
using MediatR;
using Microsoft.Extensions.Options;

namespace Bloonio.Relay.Web.Hosting;

/// <summary>
/// Development mode: the demo tenant exists (created once, with the tenant id of the Operators page's example) and
/// its keys are printed to the console, so the page's curl example works as is. Printed, never logged.
/// </summary>
public static class DevelopmentSeeder
{
    public static readonly Guid DemoTenantId = Guid.Parse("019e4ae7-1a2b-7c3d-8e4f-5a6b7c8d9e0f");
    public const string DemoOwnerEmail = "demo@bloonio.local";

    /// <summary>Development only, printed at start: the demo tenant's console is for trying the product locally.</summary>
    public const string DemoOwnerPassword = "bloonio-demo";

    public static async Task SeedAsync(IServiceProvider services, CancellationToken ct)
    {
        await using var scope = services.CreateAsyncScope();
        var provider = scope.ServiceProvider;
        provider.GetRequiredService<CallerContext>().Actor = "development-seed";
        var tenants = provider.GetRequiredService<ITenantRepository>();
        var options = provider.GetRequiredService<IOptions<RelayOptions>>().Value;
        var baseUrl = options.PublicUrl ?? $"http://localhost:{RelayWebServices.DefaultPort}";

        string secret;
        if (await tenants.GetAsync(DemoTenantId, ct) is null)
        {
            var created = await provider.GetRequiredService<IMediator>().Send(new CreateTenantCommand(
                "Bloonio Demo", [baseUrl, "http://localhost:3000"], null, "demo@bloonio.local", null, DemoTenantId), ct);
            secret = created.TenantSecret;
        }
        else
        {
            var credentials = await provider.GetRequiredService<ITenantCredentialStore>()
                .FindAsync(DemoTenantId, provider.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
            secret = provider.GetRequiredService<ISecretProtector>().Unprotect(credentials!.ProtectedSecrets[0], SecretPurpose.TenantSecret(DemoTenantId));
        }

        var tenant = (await tenants.GetAsync(DemoTenantId, ct))!;
        await provider.GetRequiredService<Core.Console.IConsoleRepository>().EnsureMemberAsync(DemoTenantId, DemoOwnerEmail, "Demo Owner",
            provider.GetRequiredService<IPasswordHasher>().Hash(DemoOwnerPassword), Core.Console.ConsoleRoles.Owner,
            provider.GetRequiredService<TimeProvider>().GetUtcNow(), ct);
        Console.WriteLine($$"""

            ── Bloonio Chat Relay · development tenant ─────────────────────────────
              tenant_id          {{tenant.TenantId}}
              tenant_secret      {{secret}}
              widget_public_key  {{tenant.WidgetPublicKey}}
              admin api key      {{options.AdminApiKey}}
              dev keys file      {{RelayWebServices.DevelopmentKeysFile?.Path}}
              API docs           {{baseUrl}}/swagger
              console            {{baseUrl}}/console   ({{DemoOwnerEmail}} / {{DemoOwnerPassword}})
              widget demo        {{baseUrl}}/demo
              metrics            {{baseUrl}}/metrics   (readiness: {{baseUrl}}/readyz)

            Try the Operators page from another terminal (signer: docs/signers/sign.sh):
              export BASE_URL={{baseUrl}} TENANT_ID={{tenant.TenantId}} TENANT_SECRET={{secret}} ADMIN_API_KEY={{options.AdminApiKey}}
              docs/signers/sign.sh POST /api/v1/relay/provision/operator '{"email": "merchant@acme.com", "display_name": "Acme Boutique", "routing_keys": ["store_42", "store_77"]}'
              docs/signers/sign.sh POST /api/v1/relay/fetch/operator-token '{"email": "merchant@acme.com"}'
            ─────────────────────────────────────────────────────────────────────────
            """);
    }
}
