using System.Net.Http.Headers;
using Bloonio.Relay.Core.Attachments;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Attachments;

/// <summary>
/// Attachments in an S3-compatible store (<c>Relay:Attachments:Storage=s3</c>): the same uploads, links and retention,
/// with the bytes in the store (checked there, each request's signature verified by the store) and none in PostgreSQL.
/// </summary>
[NonParallelizable]
public sealed class S3StorageTests
{
    private FakeS3 _s3 = null!;
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _s3 = await FakeS3.StartAsync();
        _relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["Relay:Attachments:Storage"] = "s3",
            ["Relay:Attachments:S3:ServiceUrl"] = _s3.Url.ToString(),
            ["Relay:Attachments:S3:Bucket"] = FakeS3.Bucket,
            ["Relay:Attachments:S3:AccessKey"] = FakeS3.AccessKey,
            ["Relay:Attachments:S3:SecretKey"] = FakeS3.SecretKey,
            ["Relay:Attachments:S3:Region"] = FakeS3.Region,
        });
        _api = new RelayApi(_relay);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _relay.DisposeAsync();
        await _s3.DisposeAsync();
    }

    [Test]
    public async Task FilesLiveInTheStoreAreServedByLinkAndGoWithRetention()
    {
        var tenant = await _api.CreateTenantAsync();
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { feature_flags = new { attachments = true } })).ShouldBe(200);
        var session = (await _api.WidgetSessionAsync(tenant)).ShouldBe(201).Data;
        var token = session.GetProperty("visitor_token").GetString()!;
        var sessionId = session.GetProperty("session_id").GetGuid();
        var picture = AttachmentTests.Png(600, 300);
        var upload = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments")
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent(picture), "file", "map.png" } },
        };
        upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var id = (await _api.SendAsync(upload)).ShouldBe(201).Data.GetProperty("attachment_id").GetGuid();

        var key = $"attachments/{id:N}";
        Assert.That(_s3.Objects[key].Data, Is.EqualTo(picture), "the original, in the store");
        Assert.That(_s3.Objects[key].ContentType, Is.EqualTo("image/png"));
        Assert.That(_s3.Objects[key].Encryption, Is.EqualTo("AES256"), "encrypted at rest by the store");
        Assert.That(_s3.Objects.ContainsKey(key + "/thumbnail"), Is.True);

        var linkRequest = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/widget/attachments/{id}/link");
        linkRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var link = (await _api.SendAsync(linkRequest)).ShouldBe(200).Data;
        using (var file = await _api.Http.GetAsync(link.GetProperty("url").GetString()))
        {
            Assert.That(await file.Content.ReadAsByteArrayAsync(), Is.EqualTo(picture), "served from the store");
        }

        (await _api.SignedAsync(tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{sessionId}/close", new { })).ShouldBe(200);
        await using (var scope = _relay.Services.CreateAsyncScope())
        {
            var purged = await scope.ServiceProvider.GetRequiredService<AttachmentRetention>().PurgeAsync(DateTimeOffset.UtcNow.AddDays(1), default);
            Assert.That(purged, Is.GreaterThanOrEqualTo(1));
        }

        Assert.That(_s3.Objects.Keys.Where(k => k.StartsWith(key, StringComparison.Ordinal)), Is.Empty, "retention removed both objects");
        using (var gone = await _api.Http.GetAsync(link.GetProperty("url").GetString()))
        {
            Assert.That((int)gone.StatusCode, Is.EqualTo(404));
        }

        Assert.That(_s3.BadRequests, Is.Empty, "every request the relay sent was signed as S3 wants");
    }

    [Test]
    public async Task AStoreThatIsAwayIs503WithRetryAfterAndStoresNothing()
    {
        // A relay whose store is a closed port: uploads fail as a dependency's outage, not as the user's mistake.
        var closedPort = new Uri($"http://127.0.0.1:{RedisServer.FreePort()}/");
        await using var relay = new RelayFactory(new Dictionary<string, string?>
        {
            ["Relay:Attachments:Storage"] = "s3", ["Relay:Attachments:S3:ServiceUrl"] = closedPort.ToString(),
            ["Relay:Attachments:S3:Bucket"] = FakeS3.Bucket, ["Relay:Attachments:S3:AccessKey"] = FakeS3.AccessKey,
            ["Relay:Attachments:S3:SecretKey"] = FakeS3.SecretKey,
        });
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { feature_flags = new { attachments = true } })).ShouldBe(200);
        var session = (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data;
        var upload = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments")
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent(AttachmentTests.Png(10, 10)), "file", "a.png" } },
        };
        upload.Headers.Authorization = new AuthenticationHeaderValue("Bearer", session.GetProperty("visitor_token").GetString());
        var refused = (await api.SendAsync(upload)).ShouldBe(503, "dependency_unavailable");
        Assert.That(refused.Headers.RetryAfter, Is.Not.Null);
    }
}
