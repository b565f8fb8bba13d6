using System.Net.Http.Headers;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Tenants;

/// <summary>A configuration update changes only the fields it sends, whatever else is written at the same moment.</summary>
public sealed class TenantUpdateTests : TenantTestBase
{
    private string TenantPath => $"/api/v1/admin/tenants/{Tenant.TenantId}";

    [Test]
    public async Task AQuotaChangeAndASettingsSaveAtTheSameMomentBothLand()
    {
        for (var round = 1; round <= 15; round++)
        {
            var quota = Api.AdminAsync(HttpMethod.Patch, TenantPath, new { quotas = new { messages_per_month = 1000 + round } });
            var settings = Api.AdminAsync(HttpMethod.Patch, TenantPath, new { branding = new { title = $"Title {round}" }, max_concurrent = round });
            (await quota).ShouldBe(200);
            (await settings).ShouldBe(200);

            var tenant = (await Api.AdminAsync(HttpMethod.Get, TenantPath)).ShouldBe(200).Data;
            Assert.Multiple(() =>
            {
                Assert.That(tenant.GetProperty("quotas").GetProperty("messages_per_month").GetInt32(), Is.EqualTo(1000 + round));
                Assert.That(tenant.GetProperty("configuration").GetProperty("branding").GetProperty("title").GetString(), Is.EqualTo($"Title {round}"));
                Assert.That(tenant.GetProperty("configuration").GetProperty("max_concurrent").GetInt32(), Is.EqualTo(round));
            });
        }
    }

    [Test]
    public async Task TheFaqIsKeptApartFromTheConfigurationAndSurvivesOtherUpdates()
    {
        var faq = new[] { new { question = "Do you ship abroad?", answer = "Yes, to the whole EU." } };
        (await Api.AdminAsync(HttpMethod.Patch, TenantPath, new { faq })).ShouldBe(200);
        (await Api.AdminAsync(HttpMethod.Patch, TenantPath, new { branding = new { title = "Shop" } })).ShouldBe(200);

        var tenant = (await Api.AdminAsync(HttpMethod.Get, TenantPath)).ShouldBe(200).Data;
        var entries = tenant.GetProperty("configuration").GetProperty("faq").EnumerateArray().ToList();
        Assert.That(entries.Select(e => e.GetProperty("question").GetString()), Is.EqualTo(new[] { "Do you ship abroad?" }));

        // The configuration document the hot paths read (and cache) does not carry the FAQ; its own column does.
        await using var db = new Npgsql.NpgsqlConnection(TestDatabase.ConnectionString);
        await db.OpenAsync();
        await using var read = new Npgsql.NpgsqlCommand(
            "SELECT configuration ? 'faq' AND jsonb_array_length(configuration -> 'faq') > 0, jsonb_array_length(faq) FROM tenants WHERE tenant_id = @id", db);
        read.Parameters.AddWithValue("id", Tenant.TenantId);
        await using var row = await read.ExecuteReaderAsync();
        Assert.That(await row.ReadAsync(), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(row.IsDBNull(0) || !row.GetBoolean(0), Is.True, "the configuration document carries no FAQ entries");
            Assert.That(row.GetInt32(1), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task IfMatchRefusesAWriteOverSomeoneElses()
    {
        var etag = (await Api.AdminAsync(HttpMethod.Get, TenantPath)).ShouldBe(200).Headers.ETag!.ToString();
        (await Api.AdminAsync(HttpMethod.Patch, TenantPath, new { name = "Someone else's change" })).ShouldBe(200);

        var stale = await PatchIfMatchAsync(etag, new { name = "Mine" });
        stale.ShouldBe(412, "precondition_failed");
        var fresh = (await Api.AdminAsync(HttpMethod.Get, TenantPath)).ShouldBe(200);
        Assert.That(fresh.Data.GetProperty("name").GetString(), Is.EqualTo("Someone else's change"));

        var current = $"\"v{fresh.Data.GetProperty("version").GetInt64()}\"";
        var written = (await PatchIfMatchAsync(current, new { name = "Mine" })).ShouldBe(200);
        Assert.That(written.Data.GetProperty("name").GetString(), Is.EqualTo("Mine"));
        Assert.That(written.Headers.ETag!.ToString(), Is.Not.EqualTo(current), "a new version, a new tag");
        (await PatchIfMatchAsync("not-a-tag", new { name = "x" })).ShouldBe(412, "precondition_failed");
    }

    [Test]
    public async Task MaxConcurrentIsATenantSettingWithItsDefaultAndItsBounds()
    {
        var tenant = (await Api.AdminAsync(HttpMethod.Get, TenantPath)).ShouldBe(200).Data;
        Assert.That(tenant.GetProperty("configuration").GetProperty("max_concurrent").GetInt32(), Is.EqualTo(5));
        foreach (var bad in new[] { 0, 101 })
        {
            var refused = (await Api.AdminAsync(HttpMethod.Patch, TenantPath, new { max_concurrent = bad })).ShouldBe(422, "validation_failed");
            Assert.That(refused.ErrorFields, Is.EqualTo(new[] { "max_concurrent" }));
        }
    }

    private Task<ApiResponse> PatchIfMatchAsync(string ifMatch, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Patch, TenantPath)
        {
            Content = new ByteArrayContent(RelayApi.Bytes(body)) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", RelayFactory.AdminApiKey);
        request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        return Api.SendAsync(request);
    }
}
