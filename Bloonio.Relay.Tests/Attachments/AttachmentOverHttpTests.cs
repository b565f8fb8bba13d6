using System.Net;
using System.Net.Http.Headers;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Attachments;

/// <summary>
/// Uploads over real HTTP (Kestrel, whose own body limit the in-memory test server does not apply): files of a few
/// MiB pass, what is over the limit or not multipart gets a clear error, and a page from a foreign origin cannot use a
/// visitor's token.
/// </summary>
[NonParallelizable]
public sealed class AttachmentOverHttpTests
{
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;
    private string _token = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _relay = new RelayFactory();
        _api = new RelayApi(new Uri(_relay.StartOnKestrel()));
        var tenant = await _api.CreateTenantAsync();
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}",
            new { feature_flags = new { attachments = true }, max_attachment_bytes = 5 * 1024 * 1024 })).ShouldBe(200);
        _token = (await _api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _relay.DisposeAsync();

    private Task<ApiResponse> UploadAsync(HttpContent content, string? origin = null)
    {
        // Expect: 100-continue, so a body refused by its length is answered before it is sent (without it, the early
        // answer may meet a client still writing, which then sees a broken pipe instead of the 413).
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments") { Content = content, Headers = { ExpectContinue = true } };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return _api.SendAsync(request);
    }

    private static MultipartFormDataContent Pdf(int size)
    {
        var bytes = new byte[size];
        new Random(7).NextBytes(bytes);
        "%PDF-1.7\n"u8.CopyTo(bytes);
        return new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", "manual.pdf" } };
    }

    [Test]
    public async Task AFileOfAFewMiBIsStoredAndServed()
    {
        var content = Pdf(3 * 1024 * 1024);
        var original = await content.ReadAsByteArrayAsync();
        var stored = (await UploadAsync(content, "https://shop.example.com")).ShouldBe(201).Data;
        Assert.That(stored.GetProperty("size").GetInt32(), Is.EqualTo(3 * 1024 * 1024));

        var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/widget/attachments/{stored.GetProperty("attachment_id").GetGuid()}/link");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        var link = (await _api.SendAsync(request)).ShouldBe(200).Data.GetProperty("url").GetString();
        var served = await _api.Http.GetByteArrayAsync(link);
        Assert.That(served.Length, Is.EqualTo(3 * 1024 * 1024));
        Assert.That(original.AsSpan().IndexOf(served.AsSpan(0, 4096)), Is.GreaterThan(0), "the bytes as uploaded");
    }

    [Test]
    public async Task OverTheLimitNotMultipartOrFromAForeignPageIsAClearError()
    {
        (await UploadAsync(Pdf(6 * 1024 * 1024))).ShouldBe(413, "payload_too_large");
        (await UploadAsync(Pdf(26 * 1024 * 1024))).ShouldBe(413, "payload_too_large");

        var broken = new ByteArrayContent("--xyz\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1"u8.ToArray());
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        (await UploadAsync(broken)).ShouldBe(400, "bad_request");

        (await UploadAsync(Pdf(1024), "https://evil.example.net")).ShouldBe(403, "origin_not_allowed");
    }
}
