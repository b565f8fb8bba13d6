using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Operators;

public sealed class ProvisionOperatorTests : OperatorTestBase
{
    [Test]
    public async Task FirstProvisionReturns201WithThePagesShape()
    {
        var email = NewEmail();
        var response = (await ProvisionAsync(new { email, display_name = "Acme Boutique", routing_keys = new[] { "store_42", "store_77" } }))
            .ShouldBe(201);

        Assert.Multiple(() =>
        {
            Assert.That(response.Message, Is.EqualTo("Operator provisioned"));
            Assert.That(Guid.TryParse(response.Data.GetProperty("operator_id").GetString(), out var id) && id.Version == 7, Is.True);
            Assert.That(response.Data.GetProperty("email").GetString(), Is.EqualTo(email));
            Assert.That(response.Data.GetProperty("display_name").GetString(), Is.EqualTo("Acme Boutique"));
            Assert.That(response.Data.GetProperty("tenant_id").GetString(), Is.EqualTo(Tenant.TenantId.ToString()));
            Assert.That(Keys(response), Is.EqualTo(new[] { "store_42", "store_77" }));
            Assert.That(response.Data.GetProperty("created").GetBoolean(), Is.True);
            Assert.That(response.Raw, Does.Not.Contain("password"));
        });
    }

    [Test]
    public async Task SecondProvisionReturns200AndRefreshesRoutingKeysAndDisplayData()
    {
        var email = NewEmail();
        var first = (await ProvisionAsync(new { email, display_name = "Acme", routing_keys = new[] { "store_42" } })).ShouldBe(201);
        var second = (await ProvisionAsync(new { email = email.ToUpperInvariant(), display_name = "Acme Boutique", routing_keys = new[] { "store_42", "store_77" } }))
            .ShouldBe(200);

        Assert.Multiple(() =>
        {
            Assert.That(second.Data.GetProperty("created").GetBoolean(), Is.False);
            Assert.That(second.Data.GetProperty("operator_id").GetString(), Is.EqualTo(first.Data.GetProperty("operator_id").GetString()));
            Assert.That(second.Data.GetProperty("email").GetString(), Is.EqualTo(email), "email is normalised to lower case");
            Assert.That(second.Data.GetProperty("display_name").GetString(), Is.EqualTo("Acme Boutique"));
            Assert.That(Keys(second), Is.EqualTo(new[] { "store_42", "store_77" }));
        });
    }

    [Test]
    public async Task DuplicateRoutingKeysAreRemovedAndAnEmptyListMeansTenantWide()
    {
        var deduplicated = (await ProvisionAsync(new { email = NewEmail(), display_name = "A", routing_keys = new[] { "b", "a", "b" } })).ShouldBe(201);
        Assert.That(Keys(deduplicated), Is.EqualTo(new[] { "b", "a" }));

        var empty = (await ProvisionAsync(new { email = NewEmail(), display_name = "A", routing_keys = Array.Empty<string>() })).ShouldBe(201);
        var absent = (await ProvisionAsync(new { email = NewEmail(), display_name = "A" })).ShouldBe(201);
        Assert.That(Keys(empty), Is.Null);
        Assert.That(Keys(absent), Is.Null);
    }

    [Test]
    public async Task TheSamePersonFromAnotherTenantIsReusedButThatTenantSeesCreated()
    {
        var email = NewEmail();
        var otherTenant = await Api.CreateTenantAsync();
        var here = (await ProvisionAsync(new { email, display_name = "Acme here" })).ShouldBe(201);
        var there = (await ProvisionAsync(new { email, display_name = "Acme there", routing_keys = new[] { "x" } }, otherTenant)).ShouldBe(201);

        Assert.Multiple(() =>
        {
            Assert.That(there.Data.GetProperty("created").GetBoolean(), Is.True);
            Assert.That(there.Data.GetProperty("operator_id").GetString(), Is.EqualTo(here.Data.GetProperty("operator_id").GetString()));
            Assert.That(there.Data.GetProperty("display_name").GetString(), Is.EqualTo("Acme there"));
        });

        var list = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        var mine = list.Data.EnumerateArray().Single(o => o.GetProperty("email").GetString() == email);
        Assert.That(mine.GetProperty("display_name").GetString(), Is.EqualTo("Acme here"), "display data is kept per membership");
        Assert.That(mine.GetProperty("routing_keys").ValueKind, Is.EqualTo(System.Text.Json.JsonValueKind.Null));
    }

    [Test]
    public async Task TwentyConcurrentProvisionsOfOneNewEmailCreateOneOperator()
    {
        var email = NewEmail();
        var start = RelayFactory.Shared.Clock.GetUtcNow().ToUnixTimeMilliseconds();
        // Distinct timestamps: identical signed requests would be (rightly) refused as replays.
        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
            Task.Run(() => ProvisionAsync(new { email, display_name = "Racer", routing_keys = new[] { "store_1" } }, timestampMs: start - i))));

        Assert.That(responses.Select(r => (int)r.Status), Has.Exactly(1).EqualTo(201).And.Exactly(19).EqualTo(200));
        Assert.That(responses.Select(r => r.Data.GetProperty("operator_id").GetString()).Distinct().Count(), Is.EqualTo(1));

        await using var connection = await RelayFactory.Shared.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        Assert.That(await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM operators WHERE email = @email", new { email }), Is.EqualTo(1));
        Assert.That(await connection.ExecuteScalarAsync<int>(
            "SELECT count(*) FROM operator_memberships m JOIN operators o USING (operator_id) WHERE o.email = @email", new { email }), Is.EqualTo(1));
    }

    [Test]
    public async Task TheRandomPasswordIsStoredOnlyAsAHash()
    {
        var email = NewEmail();
        (await ProvisionAsync(new { email, display_name = "A" })).ShouldBe(201);
        await using var connection = await RelayFactory.Shared.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var hash = await connection.ExecuteScalarAsync<string>("SELECT password_hash FROM operators WHERE email = @email", new { email });
        Assert.That(Convert.FromBase64String(hash!)[0], Is.EqualTo(0x01), "an ASP.NET Core Identity v3 (PBKDF2) hash");
    }
}
