using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Operators;

public sealed class ListOperatorsTests : OperatorTestBase
{
    [Test]
    public async Task TheListShowsRoutingKeysActiveFlagAndPresence()
    {
        string keyed = NewEmail(), wide = NewEmail();
        (await ProvisionAsync(new { email = keyed, display_name = "Keyed", routing_keys = new[] { "store_1" } })).ShouldBe(201);
        (await ProvisionAsync(new { email = wide, display_name = "Wide" })).ShouldBe(201);
        (await DeprovisionAsync(wide)).ShouldBe(200);

        var list = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        var rows = list.Data.EnumerateArray().ToDictionary(o => o.GetProperty("email").GetString()!);
        Assert.Multiple(() =>
        {
            Assert.That(rows.Keys, Is.EquivalentTo(new[] { keyed, wide }), "only this tenant's operators");
            Assert.That(rows[keyed].GetProperty("active").GetBoolean(), Is.True);
            Assert.That(rows[keyed].GetProperty("routing_keys")[0].GetString(), Is.EqualTo("store_1"));
            Assert.That(rows[keyed].GetProperty("presence").GetString(), Is.EqualTo("offline"));
            Assert.That(rows[wide].GetProperty("active").GetBoolean(), Is.False);
            Assert.That(rows[wide].GetProperty("created_at").GetString(), Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"));
        });
    }

    [Test]
    public async Task AnotherTenantsListIsEmpty()
    {
        (await ProvisionAsync(new { email = NewEmail(), display_name = "Mine" })).ShouldBe(201);
        var other = await Api.CreateTenantAsync();
        var list = (await Api.SignedAsync(other, HttpMethod.Get, "/api/v1/relay/operators")).ShouldBe(200);
        Assert.That(list.Data.GetArrayLength(), Is.Zero);
    }
}
