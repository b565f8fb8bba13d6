using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Auth;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Operators;

/// <summary>The Operators page's token exchange: the JWT's claims, 404 and 403 as the page says, revocation.</summary>
public sealed class FetchOperatorTokenTests : OperatorTestBase
{
    private OperatorTokenValidator Validator => RelayFactory.Shared.Services.GetRequiredService<OperatorTokenValidator>();

    [Test]
    public async Task ATokenIsMintedForAnActiveMembership()
    {
        var email = NewEmail();
        var provisioned = (await ProvisionAsync(new { email, display_name = "Acme Boutique", routing_keys = new[] { "store_42", "store_77" } })).ShouldBe(201);
        var now = DateTimeOffset.UtcNow;
        var response = (await FetchTokenAsync(email)).ShouldBe(200);
        var data = response.Data;

        Assert.Multiple(() =>
        {
            Assert.That(response.Message, Is.EqualTo("Operator token minted"));
            Assert.That(data.GetProperty("operator_id").GetString(), Is.EqualTo(provisioned.Data.GetProperty("operator_id").GetString()));
            Assert.That(data.GetProperty("display_name").GetString(), Is.EqualTo("Acme Boutique"));
            Assert.That(data.GetProperty("tenant_id").GetString(), Is.EqualTo(Tenant.TenantId.ToString()));
            Assert.That(Keys(response), Is.EqualTo(new[] { "store_42", "store_77" }));
            Assert.That(data.GetProperty("expires_at").GetInt64(),
                Is.EqualTo(now.AddDays(7).ToUnixTimeSeconds()).Within(120), "~7 days, in unix seconds");
        });

        var jwt = new JsonWebToken(data.GetProperty("operator_token").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(jwt.Subject, Is.EqualTo(data.GetProperty("operator_id").GetString()));
            Assert.That(jwt.Audiences, Is.EqualTo(new[] { "bloonio-relay-operator" }));
            Assert.That(jwt.Issuer, Is.EqualTo("bloonio-relay"));
            Assert.That(Guid.TryParse(jwt.Id, out _), Is.True, "jti");
            Assert.That(jwt.GetClaim("tv").Value, Is.EqualTo("1"));
            Assert.That(new DateTimeOffset(jwt.ValidTo).ToUnixTimeSeconds(), Is.EqualTo(data.GetProperty("expires_at").GetInt64()));
            var tids = JsonDocument.Parse(jwt.GetClaim("tids").Value).RootElement.EnumerateObject().ToList();
            Assert.That(tids.Select(t => (t.Name, t.Value.GetString())), Is.EqualTo(new[] { (Tenant.TenantId.ToString(), "operator") }));
        });
    }

    [Test]
    public async Task TheTokenCarriesOnlyTheCallingTenantsMembership()
    {
        var email = NewEmail();
        var other = await Api.CreateTenantAsync();
        (await ProvisionAsync(new { email, display_name = "Here" })).ShouldBe(201);
        (await ProvisionAsync(new { email, display_name = "There" }, other)).ShouldBe(201);

        var jwt = new JsonWebToken((await FetchTokenAsync(email, other)).ShouldBe(200).Data.GetProperty("operator_token").GetString());
        var tids = JsonDocument.Parse(jwt.GetClaim("tids").Value).RootElement.EnumerateObject().Select(t => t.Name).ToList();
        Assert.That(tids, Is.EqualTo(new[] { other.TenantId.ToString() }));
    }

    [Test]
    public async Task AnUnknownOperatorIs404() =>
        (await FetchTokenAsync(NewEmail())).ShouldBe(404, "operator_not_found");

    [Test]
    public async Task AMembershipInTenantBNeverSatisfiesTenantA()
    {
        var email = NewEmail();
        var tenantB = await Api.CreateTenantAsync();
        (await ProvisionAsync(new { email, display_name = "B only" }, tenantB)).ShouldBe(201);

        // For tenant A this person does not exist; answering 403 would reveal it operates for another tenant.
        (await FetchTokenAsync(email)).ShouldBe(404, "operator_not_found");
        (await DeprovisionAsync(email)).ShouldBe(404, "operator_not_found");
        (await FetchTokenAsync(email, tenantB)).ShouldBe(200);
    }

    [Test]
    public async Task ADeprovisionedMembershipIs403AndItsTokensStopWorking()
    {
        var email = NewEmail();
        (await ProvisionAsync(new { email, display_name = "Leaving" })).ShouldBe(201);
        var token = (await FetchTokenAsync(email)).ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        Assert.That(await Validator.ValidateAsync(token, default), Is.Not.Null, "valid before deprovisioning");

        var deprovisioned = (await DeprovisionAsync(email)).ShouldBe(200);
        Assert.That(deprovisioned.Message, Is.EqualTo("Operator deprovisioned"));
        Assert.That(deprovisioned.Data.GetProperty("active").GetBoolean(), Is.False);

        Assert.That(await Validator.ValidateAsync(token, default), Is.Null, "revoked at once");
        var refused = (await FetchTokenAsync(email)).ShouldBe(403, "membership_inactive");
        Assert.That(refused.Message, Does.Contain("no active membership"));
    }

    [Test]
    public async Task ReprovisioningRestoresTheMembershipButNotTheOldTokens()
    {
        var email = NewEmail();
        (await ProvisionAsync(new { email, display_name = "Back" })).ShouldBe(201);
        var oldToken = (await FetchTokenAsync(email)).ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        (await DeprovisionAsync(email)).ShouldBe(200);
        (await DeprovisionAsync(email)).ShouldBe(200); // idempotent

        (await ProvisionAsync(new { email, display_name = "Back" })).ShouldBe(200);
        var newToken = (await FetchTokenAsync(email)).ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        Assert.That(await Validator.ValidateAsync(oldToken, default), Is.Null);
        Assert.That(await Validator.ValidateAsync(newToken, default), Is.Not.Null);
    }

    [Test]
    public async Task DeprovisioningInOneTenantLeavesTheOtherMembership()
    {
        var email = NewEmail();
        var other = await Api.CreateTenantAsync();
        (await ProvisionAsync(new { email, display_name = "Here" })).ShouldBe(201);
        (await ProvisionAsync(new { email, display_name = "There" }, other)).ShouldBe(201);
        var otherToken = (await FetchTokenAsync(email, other)).ShouldBe(200).Data.GetProperty("operator_token").GetString()!;

        (await DeprovisionAsync(email)).ShouldBe(200);
        Assert.That(await Validator.ValidateAsync(otherToken, default), Is.Not.Null);
        (await FetchTokenAsync(email, other)).ShouldBe(200);
    }

    [Test]
    public async Task ATokenIsRefusedOnceExpiredOnTheRelaysClock()
    {
        var email = NewEmail();
        (await ProvisionAsync(new { email, display_name = "Soon gone" })).ShouldBe(201);
        var token = (await FetchTokenAsync(email)).ShouldBe(200).Data.GetProperty("operator_token").GetString()!;
        try
        {
            RelayFactory.Shared.Clock.Set(DateTimeOffset.UtcNow.AddDays(7).AddMinutes(5));
            Assert.That(await Validator.ValidateAsync(token, default), Is.Null);
        }
        finally
        {
            RelayFactory.Shared.Clock.Resume();
        }
    }
}
