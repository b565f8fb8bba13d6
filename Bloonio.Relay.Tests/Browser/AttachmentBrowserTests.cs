using Bloonio.Relay.Tests.Attachments;
using Bloonio.Relay.Tests.Infrastructure;
using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>A visitor sends a picture from the widget and sees its thumbnail, the operator sees it too and sends a document back.</summary>
[NonParallelizable]
public sealed class AttachmentBrowserTests : BrowserTestBase
{
    [Test]
    public async Task APictureGoesBothWaysWithItsThumbnail()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Demo.TenantId}", new { feature_flags = new { attachments = true } })).ShouldBe(200);
        try
        {
            var key = $"at{Guid.NewGuid():N}"[..10];
            var visitor = await NewPageAsync();
            await visitor.GotoAsync(BaseUrl + "/demo");
            await visitor.GetByTestId("launcher").ClickAsync();
            await visitor.GetByTestId("input").FillAsync($"My parcel arrived broken, ref {key}");
            await visitor.GetByTestId("send").ClickAsync();
            await visitor.GetByTestId("human").ClickAsync();
            await Assertions.Expect(visitor.GetByTestId("queue-status")).ToBeVisibleAsync();

            await Assertions.Expect(visitor.GetByTestId("attach")).ToBeVisibleAsync();
            await visitor.GetByTestId("file-input").SetInputFilesAsync(new FilePayload
            {
                Name = "parcel.png", MimeType = "image/png", Buffer = AttachmentTests.Png(800, 600),
            });
            var sent = visitor.GetByTestId("attachment-thumbnail").Last;
            await Assertions.Expect(sent).ToHaveAttributeAsync("src", new System.Text.RegularExpressions.Regex("variant=thumbnail"));
            Assert.That(await sent.EvaluateAsync<int>("img => img.complete ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"),
                Is.EqualTo(320), "the visitor sees the server-made thumbnail");

            var inbox = await NewPageAsync();
            await inbox.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"files-{key}@acme.test", "Noor Haddad"))}");
            var card = inbox.GetByTestId("queue-item").Filter(new LocatorFilterOptions { HasText = key });
            await card.GetByTestId("accept").ClickAsync();
            var seen = inbox.GetByTestId("attachment-thumbnail").Last;
            await Assertions.Expect(seen).ToHaveAttributeAsync("alt", "parcel.png");
            Assert.That(await seen.EvaluateAsync<int>("img => img.complete && img.naturalWidth ? img.naturalWidth : new Promise(r => img.onload = () => r(img.naturalWidth))"),
                Is.EqualTo(320), "the operator sees it too");

            await inbox.GetByTestId("file-input").SetInputFilesAsync(new FilePayload
            {
                Name = "return-label.pdf", MimeType = "application/pdf", Buffer = "%PDF-1.4\nreturn label\n%%EOF"u8.ToArray(),
            });
            var document = visitor.GetByTestId("attachment").Filter(new LocatorFilterOptions { HasText = "return-label.pdf" });
            await Assertions.Expect(document).ToBeVisibleAsync();
            await Assertions.Expect(document).ToHaveAttributeAsync("href", new System.Text.RegularExpressions.Regex("/api/v1/attachments/.+/content"));
            await ScreenshotAsync(visitor, "widget-attachments");
        }
        finally
        {
            (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Demo.TenantId}", new { feature_flags = new { attachments = false } })).ShouldBe(200);
        }
    }
}
