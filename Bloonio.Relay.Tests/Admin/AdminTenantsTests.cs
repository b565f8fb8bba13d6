using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Admin;

/// <summary>SPEC 12's admin API: bearer key, create (secret shown once), read, update with validation, suspend.</summary>
public sealed class AdminTenantsTests
{
    private RelayApi _api = null!;

    [SetUp]
    public void SetUp() => _api = new RelayApi(RelayFactory.Shared);

    [TestCase(null)]
    [TestCase("wrong-key")]
    [TestCase("")]
    public async Task WithoutTheRightKeyTheAdminApiIs401(string? key)
    {
        (await _api.AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants", key: key)).ShouldBe(401, "unauthorized");
        (await _api.AdminAsync(HttpMethod.Post, "/api/v1/admin/tenants", new { name = "X" }, key)).ShouldBe(401, "unauthorized");
    }

    [Test]
    public async Task WithNoKeyConfiguredTheAdminApiIsOff()
    {
        await using var noAdmin = new RelayFactory(new Dictionary<string, string?> { ["Relay:AdminApiKey"] = "" });
        var response = (await new RelayApi(noAdmin).AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants")).ShouldBe(401, "unauthorized");
        Assert.That(response.Message, Does.Contain("disabled"));
    }

    [Test]
    public async Task CreatingATenantShowsItsSecretOnceWithPrefixedKeys()
    {
        var created = (await _api.AdminAsync(HttpMethod.Post, "/api/v1/admin/tenants", new
        {
            name = "  Acme  ",
            allowed_origins = new[] { "https://shop.acme.com", "https://*.acme.com", "http://localhost:3000" },
            webhook_url = "https://hooks.acme.com/bloonio",
            owner_email = "Owner@Acme.com",
            quotas = new { operators = 5 },
        })).ShouldBe(201);
        var data = created.Data;
        var secret = data.GetProperty("tenant_secret").GetString()!;
        Assert.Multiple(() =>
        {
            Assert.That(data.GetProperty("name").GetString(), Is.EqualTo("Acme"));
            Assert.That(secret, Does.Match("^bts_[A-Za-z0-9_-]{43}$"), "32 random bytes, base64url");
            Assert.That(data.GetProperty("widget_public_key").GetString(), Does.Match("^bwk_[A-Za-z0-9_-]{43}$"));
            Assert.That(data.GetProperty("owner_email").GetString(), Is.EqualTo("owner@acme.com"));
            Assert.That(data.GetProperty("status").GetString(), Is.EqualTo("active"));
            Assert.That(data.GetProperty("quotas").GetProperty("operators").GetInt32(), Is.EqualTo(5));
        });

        var id = data.GetProperty("tenant_id").GetString();
        var shown = (await _api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{id}")).ShouldBe(200);
        var listed = (await _api.AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants?limit=500")).ShouldBe(200);
        Assert.Multiple(() =>
        {
            Assert.That(shown.Raw, Does.Not.Contain(secret).And.Not.Contain("tenant_secret"));
            Assert.That(shown.Data.GetProperty("configuration").GetProperty("allowed_origins").GetArrayLength(), Is.EqualTo(3));
            Assert.That(shown.Data.GetProperty("configuration").GetProperty("feature_flags").GetProperty("bot").GetBoolean(), Is.True);
            Assert.That(listed.Raw, Does.Not.Contain(secret));
        });
    }

    [Test]
    public async Task ListingPagesByTenantId()
    {
        var first = (await _api.AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants?limit=1")).ShouldBe(200);
        await _api.CreateTenantAsync();
        var after = first.Data[0].GetProperty("tenant_id").GetString();
        var next = (await _api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants?limit=1&after={after}")).ShouldBe(200);
        Assert.That(next.Data[0].GetProperty("tenant_id").GetString(), Is.Not.EqualTo(after));
        (await _api.AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants?limit=0")).ShouldBe(422, "validation_failed");
    }

    public static IEnumerable<TestCaseData> InvalidCreations()
    {
        yield return new TestCaseData(new { }, new[] { "name" }).SetName("name missing");
        yield return new TestCaseData(new { name = new string('n', 121) }, new[] { "name" }).SetName("name too long");
        yield return new TestCaseData(new { name = "A", allowed_origins = new[] { "https://acme.com/" } }, new[] { "allowed_origins[0]" }).SetName("origin with a slash");
        yield return new TestCaseData(new { name = "A", allowed_origins = new[] { "acme.com" } }, new[] { "allowed_origins[0]" }).SetName("origin without scheme");
        yield return new TestCaseData(new { name = "A", allowed_origins = new[] { "https://*.com" } }, new[] { "allowed_origins[0]" }).SetName("wildcard on a TLD");
        yield return new TestCaseData(new { name = "A", allowed_origins = new[] { "https://a.*.acme.com" } }, new[] { "allowed_origins[0]" }).SetName("wildcard not first");
        yield return new TestCaseData(new { name = "A", webhook_url = "ftp://acme.com/x" }, new[] { "webhook_url" }).SetName("webhook not http");
        yield return new TestCaseData(new { name = "A", webhook_url = "http://169.254.169.254/latest" }, new[] { "webhook_url" }).SetName("webhook to the metadata service");
        yield return new TestCaseData(new { name = "A", webhook_url = "https://10.0.0.7/hook" }, new[] { "webhook_url" }).SetName("webhook to a private address");
        yield return new TestCaseData(new { name = "A", owner_email = "owner" }, new[] { "owner_email" }).SetName("owner email");
        yield return new TestCaseData(new { name = "A", quotas = new { operators = 0 } }, new[] { "quotas.operators" }).SetName("quota zero");
    }

    [TestCaseSource(nameof(InvalidCreations))]
    public async Task InvalidTenantFieldsAre422(object body, string[] fields) =>
        Assert.That((await _api.AdminAsync(HttpMethod.Post, "/api/v1/admin/tenants", body)).ShouldBe(422, "validation_failed").ErrorFields,
            Is.EqualTo(fields));

    [Test]
    public async Task PatchingChangesOnlyTheGivenFields()
    {
        var tenant = await _api.CreateTenantAsync("Patched");
        var patched = (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            branding = new { primary_color = "#aabbcc", position = "left" },
            feature_flags = new { auto_assign = true },
            allow_native_clients = true,
            quotas = new { messages_per_month = 5000 },
        })).ShouldBe(200);
        var configuration = patched.Data.GetProperty("configuration");
        Assert.Multiple(() =>
        {
            Assert.That(patched.Data.GetProperty("name").GetString(), Is.EqualTo("Patched"));
            Assert.That(configuration.GetProperty("branding").GetProperty("primary_color").GetString(), Is.EqualTo("#AABBCC"));
            Assert.That(configuration.GetProperty("branding").GetProperty("position").GetString(), Is.EqualTo("left"));
            Assert.That(configuration.GetProperty("branding").GetProperty("title").GetString(), Is.EqualTo("Chat with us"));
            Assert.That(configuration.GetProperty("feature_flags").GetProperty("auto_assign").GetBoolean(), Is.True);
            Assert.That(configuration.GetProperty("feature_flags").GetProperty("bot").GetBoolean(), Is.True);
            Assert.That(configuration.GetProperty("allow_native_clients").GetBoolean(), Is.True);
            Assert.That(configuration.GetProperty("allowed_origins")[0].GetString(), Is.EqualTo("https://shop.example.com"));
            Assert.That(patched.Data.GetProperty("quotas").GetProperty("messages_per_month").GetInt32(), Is.EqualTo(5000));
        });

        var reread = (await _api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{tenant.TenantId}")).ShouldBe(200);
        Assert.That(reread.Data.GetProperty("configuration").GetProperty("branding").GetProperty("primary_color").GetString(), Is.EqualTo("#AABBCC"));
    }

    [Test]
    public async Task InvalidConfigurationValuesAre422WithEveryField()
    {
        var tenant = await _api.CreateTenantAsync();
        var response = (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new
        {
            allowed_origins = new[] { "https://ok.example.com", "not an origin" },
            branding = new { primary_color = "blue", position = "top", avatar_url = "http://x.co/a.png", title = "" },
            webhook_url = "javascript:alert(1)",
            webhook_events = new[] { "message.created", "message.deleted" },
            max_wait_seconds = -1,
            quotas = new { backend_requests_per_minute = -5 },
        })).ShouldBe(422, "validation_failed");
        Assert.That(response.ErrorFields, Is.EquivalentTo(new[]
        {
            "allowed_origins[1]", "branding.primary_color", "branding.position", "branding.avatar_url", "branding.title", "webhook_url",
            "webhook_events[1]", "max_wait_seconds", "quotas.backend_requests_per_minute",
        }));
    }

    [Test]
    public async Task AnUnknownTenantIs404()
    {
        var id = Guid.CreateVersion7();
        (await _api.AdminAsync(HttpMethod.Get, $"/api/v1/admin/tenants/{id}")).ShouldBe(404, "tenant_not_found");
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{id}", new { name = "x" })).ShouldBe(404, "tenant_not_found");
        (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{id}/suspend")).ShouldBe(404, "tenant_not_found");
        (await _api.AdminAsync(HttpMethod.Get, "/api/v1/admin/tenants/not-a-uuid")).ShouldBe(404, "not_found");
    }

    [Test]
    public async Task SuspendAndResumeShowInTheTenantsStatus()
    {
        var tenant = await _api.CreateTenantAsync();
        var suspended = (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{tenant.TenantId}/suspend")).ShouldBe(200);
        Assert.That(suspended.Data.GetProperty("status").GetString(), Is.EqualTo("suspended"));
        var resumed = (await _api.AdminAsync(HttpMethod.Post, $"/api/v1/admin/tenants/{tenant.TenantId}/resume")).ShouldBe(200);
        Assert.That(resumed.Data.GetProperty("status").GetString(), Is.EqualTo("active"));
    }
}
