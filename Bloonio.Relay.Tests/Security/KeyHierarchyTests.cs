using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Bloonio.Relay.Core.Console;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Data.Tenants;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>
/// The keys under the master key: Data Protection's key ring lives in PostgreSQL (a console session and a form opened on
/// one node work on another, and after both restart), and a tenant secret is bound to its tenant (a ciphertext copied to
/// another tenant's row verifies nothing; an old-format row is re-encrypted, bound, at start-up).
/// </summary>
[NonParallelizable]
public sealed partial class KeyHierarchyTests : TenantTestBase
{
    private const string Password = "a long enough password";

    [GeneratedRegex("name=\"__RequestVerificationToken\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    /// <summary>A browser whose cookies are ours to carry from one node to another.</summary>
    private sealed class Browser
    {
        private readonly Dictionary<string, string> _cookies = [];

        public async Task<HttpResponseMessage> SendAsync(RelayFactory node, HttpMethod method, string path, Dictionary<string, string>? form = null)
        {
            using var client = node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
            var request = new HttpRequestMessage(method, path) { Content = form is null ? null : new FormUrlEncodedContent(form) };
            if (_cookies.Count > 0)
            {
                request.Headers.Add("Cookie", string.Join("; ", _cookies.Select(c => $"{c.Key}={c.Value}")));
            }

            var response = await client.SendAsync(request);
            foreach (var cookie in response.Headers.TryGetValues("Set-Cookie", out var set) ? set : [])
            {
                var pair = cookie.Split(';')[0].Split('=', 2);
                _cookies[pair[0]] = pair[1];
            }

            return response;
        }

        public async Task<string> TokenAsync(RelayFactory node, string page) =>
            AntiforgeryField().Match(await (await SendAsync(node, HttpMethod.Get, page)).Content.ReadAsStringAsync()).Groups[1].Value;
    }

    [Test]
    public async Task AConsoleSessionAndItsFormsWorkOnEveryNodeAndAfterRestarts()
    {
        var email = $"dp-{Guid.NewGuid():N}@console.test";
        var shared = RelayFactory.Shared.Services;
        await shared.GetRequiredService<IConsoleRepository>().EnsureMemberAsync(Tenant.TenantId, email, "Owner",
            shared.GetRequiredService<IPasswordHasher>().Hash(Password), ConsoleRoles.Owner, DateTimeOffset.UtcNow, default);
        var browser = new Browser();
        await using (var a = new RelayFactory())
        await using (var b = new RelayFactory())
        {
            var signIn = await browser.SendAsync(a, HttpMethod.Post, "/console/login", new()
            {
                ["email"] = email, ["password"] = Password, ["__RequestVerificationToken"] = await browser.TokenAsync(a, "/console/login"),
            });
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect), "signed in on A");

            Assert.That((await browser.SendAsync(b, HttpMethod.Get, "/console/settings")).StatusCode, Is.EqualTo(HttpStatusCode.OK), "B reads A's cookie");
            var tokenFromA = await browser.TokenAsync(a, "/console/members");
            var invite = await browser.SendAsync(b, HttpMethod.Post, "/console/members/invite", new()
            {
                ["email"] = $"invitee-{Guid.NewGuid():N}@console.test", ["role"] = "operator", ["__RequestVerificationToken"] = tokenFromA,
            });
            Assert.That(invite.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a form from A posted to B");
            Assert.That(await invite.Content.ReadAsStringAsync(), Does.Contain("/console/invite/bmi_"));
        }

        await using var restarted = new RelayFactory();
        Assert.That((await browser.SendAsync(restarted, HttpMethod.Get, "/console/settings")).StatusCode, Is.EqualTo(HttpStatusCode.OK),
            "the session survives a restart of every node");
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        var stored = await connection.QueryAsync<string>("SELECT xml FROM data_protection_keys");
        Assert.That(stored, Is.Not.Empty);
        Assert.That(stored, Has.All.Contain("encryptedKey").And.All.Not.Contain("<masterKey"), "keys rest encrypted under the master key");
    }

    [Test]
    public async Task ASecretCopiedToAnotherTenantVerifiesNothing()
    {
        var other = await Api.CreateTenantAsync();
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.ExecuteAsync("""
            UPDATE tenant_secrets SET ciphertext = (SELECT ciphertext FROM tenant_secrets WHERE tenant_id = @from AND expires_at IS NULL)
            WHERE tenant_id = @to AND expires_at IS NULL
            """, new { from = Tenant.TenantId, to = other.TenantId });
        InvalidateCaches();

        var forged = other with { Secret = Tenant.Secret };
        (await Api.SignedAsync(forged, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(401, "invalid_signature");
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        var format = await connection.QuerySingleAsync<int>(
            "SELECT get_byte(ciphertext, 0) FROM tenant_secrets WHERE tenant_id = @TenantId AND expires_at IS NULL", new { Tenant.TenantId });
        Assert.That(format, Is.EqualTo(2));
    }

    [Test]
    public async Task AnOldFormatSecretIsReEncryptedBoundToItsTenant()
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        await connection.ExecuteAsync("UPDATE tenant_secrets SET ciphertext = @legacy WHERE tenant_id = @TenantId AND expires_at IS NULL",
            new { legacy = LegacyProtect(Tenant.Secret), Tenant.TenantId });
        InvalidateCaches();

        var upgraded = await RelayFactory.Shared.Services.GetRequiredService<SecretFormatUpgrade>().RunAsync(default);
        Assert.That(upgraded, Is.GreaterThanOrEqualTo(1));
        InvalidateCaches();
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        Assert.That(await connection.QuerySingleAsync<int>("SELECT count(*) FROM tenant_secrets WHERE get_byte(ciphertext, 0) = 1"), Is.Zero);
    }

    [Test]
    public async Task AMasterKeyRotationReEncryptsEverySecretAndTheConsoleKeepsWorking()
    {
        var database = await TestDatabase.CreateExtraAsync("mk" + Guid.NewGuid().ToString("N")[..6]);
        try
        {
            TestTenant tenant;
            var browser = new Browser();
            await using (var before = new RelayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Relay"] = database }))
            {
                tenant = await new RelayApi(before).CreateTenantAsync();
                await before.Services.GetRequiredService<IConsoleRepository>().EnsureMemberAsync(tenant.TenantId, "mk@console.test", null,
                    before.Services.GetRequiredService<IPasswordHasher>().Hash(Password), ConsoleRoles.Owner, DateTimeOffset.UtcNow, default);
                var signIn = await browser.SendAsync(before, HttpMethod.Post, "/console/login", new()
                {
                    ["email"] = "mk@console.test", ["password"] = Password, ["__RequestVerificationToken"] = await browser.TokenAsync(before, "/console/login"),
                });
                Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.Redirect));
            }

            var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            await using (var rotating = new RelayFactory(new Dictionary<string, string?>
                         {
                             ["ConnectionStrings:Relay"] = database, ["Relay:MasterKey"] = newKey, ["Relay:PreviousMasterKeys"] = RelayFactory.MasterKey,
                         }))
            {
                (await new RelayApi(rotating).SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
            }

            // Only the new key now: every secret was re-encrypted under it at the rotating node's start.
            await using var after = new RelayFactory(new Dictionary<string, string?> { ["ConnectionStrings:Relay"] = database, ["Relay:MasterKey"] = newKey });
            (await new RelayApi(after).SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
            Assert.That((await browser.SendAsync(after, HttpMethod.Get, "/console/settings")).StatusCode, Is.EqualTo(HttpStatusCode.OK),
                "the console session outlives the rotation: Data Protection's keys were re-encrypted too");
        }
        finally
        {
            await TestDatabase.DropExtraAsync(database);
        }
    }

    /// <summary>Version 1: AES-256-GCM under the master key, no associated data.</summary>
    private static byte[] LegacyProtect(string secret)
    {
        var plain = Encoding.UTF8.GetBytes(secret);
        var output = new byte[1 + 12 + 16 + plain.Length];
        output[0] = 1;
        RandomNumberGenerator.Fill(output.AsSpan(1, 12));
        using var aes = new AesGcm(Convert.FromBase64String(RelayFactory.MasterKey), 16);
        aes.Encrypt(output.AsSpan(1, 12), plain, output.AsSpan(29), output.AsSpan(13, 16));
        return output;
    }

    private static void InvalidateCaches() => RelayFactory.Shared.Services.GetRequiredService<Bloonio.Relay.Data.Caching.RelayCaches>().Clear();
}
