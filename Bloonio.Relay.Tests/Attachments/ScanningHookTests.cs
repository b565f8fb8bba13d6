using System.Net.Http.Headers;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Attachments;

/// <summary>
/// The scanning hook (<c>Relay:Attachments:ScanCommand</c>): a program sees every upload on its standard input before it
/// is stored. Here a stand-in antivirus (a shell script) that flags the EICAR test string, as clamdscan would.
/// </summary>
[NonParallelizable]
public sealed class ScanningHookTests
{
    private string _scanner = null!;
    private RelayFactory _relay = null!;
    private RelayApi _api = null!;

    [OneTimeSetUp]
    public void Start()
    {
        _scanner = Path.Combine(Path.GetTempPath(), $"relay-scan-{Guid.NewGuid():N}.sh");
        File.WriteAllText(_scanner, """
            #!/bin/sh
            data=$(cat)
            case "$data" in
              *EICAR-STANDARD-ANTIVIRUS-TEST-FILE*) echo "stdin: Eicar-Test-Signature FOUND"; exit 1 ;;
            esac
            exit 0
            """);
        _relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:Attachments:ScanCommand"] = "/bin/sh " + _scanner });
        _api = new RelayApi(_relay);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _relay.DisposeAsync();
        File.Delete(_scanner);
    }

    [Test]
    public async Task WhatTheScannerFlagsIsRefusedWithItsReasonAndTheRestIsStored()
    {
        var tenant = await _api.CreateTenantAsync();
        (await _api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { feature_flags = new { attachments = true } })).ShouldBe(200);
        var token = (await _api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;

        async Task<ApiResponse> UploadAsync(byte[] bytes)
        {
            var part = new ByteArrayContent(bytes);
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments")
            {
                Content = new MultipartFormDataContent { { part, "file", "report.pdf" } },
            };
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return await _api.SendAsync(request);
        }

        var infected = "%PDF-1.4\nX5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n%%EOF"u8.ToArray();
        var refused = (await UploadAsync(infected)).ShouldBe(422, "validation_failed");
        Assert.That(refused.Raw, Does.Contain("Eicar-Test-Signature FOUND"), "the scanner's reason is the error");
        (await UploadAsync("%PDF-1.4\nclean\n%%EOF"u8.ToArray())).ShouldBe(201);
    }

    [Test]
    public async Task AScannerThatCannotRunIs503AndNothingIsStoredUnscanned()
    {
        await using var relay = new RelayFactory(new Dictionary<string, string?> { ["Relay:Attachments:ScanCommand"] = "/nonexistent/scanner --stdin" });
        var api = new RelayApi(relay);
        var tenant = await api.CreateTenantAsync();
        (await api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{tenant.TenantId}", new { feature_flags = new { attachments = true } })).ShouldBe(200);
        var token = (await api.WidgetSessionAsync(tenant)).ShouldBe(201).Data.GetProperty("visitor_token").GetString()!;
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments")
        {
            Content = new MultipartFormDataContent { { new ByteArrayContent("%PDF-1.4\nfine\n%%EOF"u8.ToArray()), "file", "fine.pdf" } },
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var refused = (await api.SendAsync(request)).ShouldBe(503, "dependency_unavailable");
        Assert.That(refused.Headers.RetryAfter, Is.Not.Null);
    }
}
