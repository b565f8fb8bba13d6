using System.Text;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Security;

/// <summary>SPEC 3 and 13: secrets and tokens never reach the logs, and the tenant secret is encrypted at rest.</summary>
public sealed class SecretHygieneTests
{
    [Test]
    public async Task NoSecretOrTokenAppearsInTheLogs()
    {
        await using var factory = new RelayFactory();
        var api = new RelayApi(factory);
        var tenant = await api.CreateTenantAsync();
        var email = $"log-{Guid.NewGuid():N}@example.com";

        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", new { email, display_name = "Logged" })).ShouldBe(201);
        var token = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { email }))
            .ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        (await api.SignedAsync(tenant, HttpMethod.Get, "/api/v1/relay/operators", secret: "bts_wrong")).ShouldBe(401, "invalid_signature");
        (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/provision/operator", "{broken")).ShouldBe(400, "bad_request");

        var logs = string.Join("\n", factory.Logs.Lines);
        Assert.That(factory.Logs.Lines, Is.Not.Empty, "the capture works");
        Assert.Multiple(() =>
        {
            Assert.That(logs, Does.Not.Contain(tenant.Secret));
            Assert.That(logs, Does.Not.Contain(tenant.Secret["bts_".Length..]));
            Assert.That(logs, Does.Not.Contain(token));
            Assert.That(logs, Does.Not.Contain(token.Split('.')[2]), "not even the token's signature");
            Assert.That(logs, Does.Not.Contain(RelayFactory.MasterKey));
            Assert.That(logs, Does.Not.Contain(RelayFactory.AdminApiKey));
        });
    }

    [Test]
    public async Task AccessTokensOfHubConnectionsNeverReachTheLogsEvenAtTrace()
    {
        await using var factory = new RelayFactory(new Dictionary<string, string?>
        {
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
        });
        var api = new RelayApi(factory);
        var tenant = await api.CreateTenantAsync();
        var visitorToken = (await api.SignedAsync(tenant, HttpMethod.Post, "/api/v1/relay/fetch/visitor-token", new { external_user_id = "log-user" }))
            .ShouldBe(200).Data.GetProperty("visitor_token").GetString()!;
        await using (var visitor = HubConnections.ForTestServer(factory.Server, "/hubs/visitor", visitorToken))
        {
            await visitor.StartAsync().WaitAsync(TimeSpan.FromSeconds(10));
            await visitor.InvokeAsync<System.Text.Json.JsonElement>("Send", new { client_message_id = "l", text = "log me not" })
                .WaitAsync(TimeSpan.FromSeconds(10));
        }

        var logs = string.Join("\n", factory.Logs.Lines);
        Assert.That(logs, Does.Contain("/hubs/visitor"), "the capture sees hub traffic at this level");
        Assert.That(logs, Does.Not.Contain(visitorToken.Split('.')[2]));
        Assert.That(logs, Does.Not.Contain("access_token="));
    }

    [Test]
    public async Task TheTenantSecretIsStoredEncrypted()
    {
        var api = new RelayApi(RelayFactory.Shared);
        var tenant = await api.CreateTenantAsync();
        await using var connection = await RelayFactory.Shared.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var stored = (await connection.QueryAsync<byte[]>(
            "SELECT ciphertext FROM tenant_secrets WHERE tenant_id = @TenantId", new { tenant.TenantId })).Single();
        var secretBytes = Encoding.UTF8.GetBytes(tenant.Secret);
        Assert.That(stored.AsSpan().IndexOf(secretBytes), Is.EqualTo(-1));
        Assert.That(Encoding.UTF8.GetString(stored), Does.Not.Contain(tenant.Secret[4..20]));
    }
}
