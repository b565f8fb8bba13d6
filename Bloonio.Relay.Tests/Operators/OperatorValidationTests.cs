using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Operators;

/// <summary>SPEC 4's field rules: each failing field is named, all at once, with 422 validation_failed.</summary>
public sealed class OperatorValidationTests : OperatorTestBase
{
    private static readonly string LongEmail = new string('a', 250) + "@x.co";

    public static IEnumerable<TestCaseData> InvalidBodies()
    {
        yield return new TestCaseData(new { display_name = "A" }, "email").SetName("email missing");
        yield return new TestCaseData(new { email = "", display_name = "A" }, "email").SetName("email empty");
        yield return new TestCaseData(new { email = "not-an-email", display_name = "A" }, "email").SetName("email without at");
        yield return new TestCaseData(new { email = "a b@c.co", display_name = "A" }, "email").SetName("email with a space");
        yield return new TestCaseData(new { email = LongEmail, display_name = "A" }, "email").SetName("email over 254");
        yield return new TestCaseData(new { email = "a@b.co" }, "display_name").SetName("display_name missing");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "   " }, "display_name").SetName("display_name blank");
        yield return new TestCaseData(new { email = "a@b.co", display_name = new string('n', 121) }, "display_name").SetName("display_name over 120");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", avatar_url = "http://x.co/a.png" }, "avatar_url").SetName("avatar_url http");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", avatar_url = "avatar.png" }, "avatar_url").SetName("avatar_url relative");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = Enumerable.Range(0, 51).Select(i => $"k{i}").ToArray() }, "routing_keys").SetName("routing_keys 51 entries");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new[] { "ok", new string('k', 65) } }, "routing_keys[1]").SetName("routing key over 64");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new[] { "" } }, "routing_keys[0]").SetName("routing key empty");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new[] { "store 42" } }, "routing_keys[0]").SetName("routing key with a space");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new[] { "store/42" } }, "routing_keys[0]").SetName("routing key with a slash");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new[] { "magasin_é" } }, "routing_keys[0]").SetName("routing key with an accent");
        yield return new TestCaseData(new { email = "a@b.co", display_name = "A", routing_keys = new string?[] { null } }, "routing_keys[0]").SetName("routing key null");
    }

    [TestCaseSource(nameof(InvalidBodies))]
    public async Task AnInvalidFieldIsNamed(object body, string field)
    {
        var response = (await ProvisionAsync(body)).ShouldBe(422, "validation_failed");
        Assert.That(response.Message, Is.EqualTo("Validation failed"));
        Assert.That(response.ErrorFields, Is.EqualTo(new[] { field }));
    }

    [Test]
    public async Task EveryFailingFieldIsListedAtOnce()
    {
        var response = (await ProvisionAsync(new { email = "nope", display_name = "", avatar_url = "ftp://x", routing_keys = new[] { "a b" } }))
            .ShouldBe(422, "validation_failed");
        Assert.That(response.ErrorFields, Is.EquivalentTo(new[] { "email", "display_name", "avatar_url", "routing_keys[0]" }));
    }

    [Test]
    public async Task BoundaryValuesAreAccepted()
    {
        var email = new string('a', 240) + "@example.com"; // 252 characters
        (await ProvisionAsync(new
        {
            email,
            display_name = new string('n', 120),
            avatar_url = "https://cdn.example.com/a.png",
            routing_keys = Enumerable.Range(0, 50).Select(i => $"Store_{i}.eu:fr-{i}").Append(new string('k', 64)).Skip(1).ToArray(),
        })).ShouldBe(201);
    }

    [Test]
    public async Task AnEmailIsRequiredToFetchAToken()
    {
        var response = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/fetch/operator-token", new { })).ShouldBe(422, "validation_failed");
        Assert.That(response.ErrorFields, Is.EqualTo(new[] { "email" }));
    }
}
