using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Bloonio.Relay.Tests.Hubs;
using Bloonio.Relay.Tests.Infrastructure;
using Dapper;
using Npgsql;
using NUnit.Framework;
using SkiaSharp;

namespace Bloonio.Relay.Tests.Attachments;

/// <summary>
/// Attachments end to end on the real relay: uploads by the visitor, an operator and the backend; the type from the
/// bytes; thumbnails; messages that carry them (hub events, History, the event feed); signed links for participants only;
/// bad uploads refused with nothing stored.
/// </summary>
public sealed class AttachmentTests : HubTestBase
{
    [SetUp]
    public async Task EnableAttachmentsAsync() =>
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { feature_flags = new { attachments = true } }))
        .ShouldBe(200);

    internal static byte[] Png(int width, int height)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.CornflowerBlue);
        }

        using var image = SKImage.FromBitmap(bitmap);
        return image.Encode(SKEncodedImageFormat.Png, 100).ToArray();
    }

    private static MultipartFormDataContent File(byte[] bytes, string name, string contentType = "image/png")
    {
        var part = new ByteArrayContent(bytes);
        part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        return new MultipartFormDataContent { { part, "file", name } };
    }

    private Task<ApiResponse> VisitorUploadAsync(string visitorToken, byte[] bytes, string name, string contentType = "image/png")
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments") { Content = File(bytes, name, contentType) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", visitorToken);
        return Api.SendAsync(request);
    }

    private Task<ApiResponse> LinkAsync(string path, string token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return Api.SendAsync(request);
    }

    private static async Task<long> StoredAsync(Guid sessionId)
    {
        await using var connection = new NpgsqlConnection(TestDatabase.ConnectionString);
        return await connection.ExecuteScalarAsync<long>("SELECT count(*) FROM attachments WHERE session_id = @sessionId", new { sessionId });
    }

    [Test]
    public async Task AVisitorSendsAnImageAndTheOperatorSeesItWithItsThumbnail()
    {
        var session = await OpenSessionAsync();
        var original = Png(640, 480);
        var uploaded = (await VisitorUploadAsync(session.Token, original, "C:\\Users\\ada\\photo.png")).ShouldBe(201).Data;
        Assert.That(uploaded.GetProperty("name").GetString(), Is.EqualTo("photo.png"), "the path a browser may send is not kept");
        Assert.That(uploaded.GetProperty("content_type").GetString(), Is.EqualTo("image/png"));
        Assert.That((uploaded.GetProperty("width").GetInt32(), uploaded.GetProperty("height").GetInt32()), Is.EqualTo((640, 480)));
        var id = uploaded.GetProperty("attachment_id").GetGuid();

        var operatorToken = await OperatorTokenAsync(null);
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "pic-1", text = "", attachments = new[] { id } });
        var history = (await InvokeAsync(visitor, "History", new { after_seq = 0 })).EnumerateArray().ToList();
        var sent = history.Single(m => m.GetProperty("client_message_id").GetString() == "pic-1");
        Assert.That(sent.GetProperty("text").GetString(), Is.EqualTo("photo.png"), "a message that is only a file reads as its name");
        Assert.That(sent.GetProperty("attachments")[0].GetProperty("attachment_id").GetGuid(), Is.EqualTo(id));
        Assert.That(sent.GetProperty("attachments")[0].GetProperty("thumbnail").GetBoolean(), Is.True);

        var link = (await LinkAsync($"/api/v1/operator/attachments/{id}/link", operatorToken)).ShouldBe(200).Data;
        using var full = await Api.Http.GetAsync(link.GetProperty("url").GetString());
        Assert.That(full.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await full.Content.ReadAsByteArrayAsync(), Is.EqualTo(original), "the bytes as uploaded");
        Assert.That(full.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/png"));
        using var thumb = await Api.Http.GetAsync(link.GetProperty("thumbnail_url").GetString());
        using var decoded = SKBitmap.Decode(await thumb.Content.ReadAsByteArrayAsync());
        Assert.That((decoded.Width, decoded.Height), Is.EqualTo((320, 240)), "a server-made thumbnail, 320 on its longer side");

        await Eventually.HoldsAsync(async () =>
        {
            var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events");
            return feed.EnumerateArray().Any(e => e.GetProperty("type").GetString() == "message.created"
                && e.GetProperty("data").TryGetProperty("attachments", out var sentWith) && sentWith[0].GetProperty("attachment_id").GetGuid() == id);
        }, "message.created (the feed and webhooks) carries the attachment");
    }

    [Test]
    public async Task AnAttachmentIsSentOnceAndOnlyByWhoeverUploadedIt()
    {
        var session = await OpenSessionAsync();
        var id = (await VisitorUploadAsync(session.Token, Png(10, 10), "a.png")).ShouldBe(201).Data.GetProperty("attachment_id").GetGuid();
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        await InvokeAsync(visitor, "Send", new { client_message_id = "once", text = "here", attachments = new[] { id } });
        var again = await InvokeAsync(visitor, "Send", new { client_message_id = "once", text = "here", attachments = new[] { id } });
        Assert.That(again.GetProperty("seq").GetInt32(), Is.EqualTo(1), "a retried send is the same message");
        Assert.That(await HubErrorAsync(visitor, "Send", new { client_message_id = "twice", text = "again", attachments = new[] { id } }),
            Does.StartWith("validation_failed"));

        var other = await OpenSessionAsync();
        var otherVisitor = await ConnectAsync("/hubs/visitor", other.Token);
        Assert.That(await HubErrorAsync(otherVisitor, "Send", new { client_message_id = "steal", text = "mine", attachments = new[] { id } }),
            Does.StartWith("validation_failed"), "another session's file cannot be sent");
    }

    [Test]
    public async Task OnlyTheConversationsParticipantsGetALinkAndALinkCannotBeBent()
    {
        var session = await OpenSessionAsync();
        var id = (await VisitorUploadAsync(session.Token, Png(20, 20), "mine.png")).ShouldBe(201).Data.GetProperty("attachment_id").GetGuid();
        var other = await OpenSessionAsync();
        (await LinkAsync($"/api/v1/widget/attachments/{id}/link", other.Token)).ShouldBe(404, "not_found");
        var restricted = await OperatorTokenAsync(["store_9"]);
        (await LinkAsync($"/api/v1/operator/attachments/{id}/link", restricted)).ShouldBe(404, "not_found");
        var backend = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/attachments/{id}/link")).ShouldBe(200).Data;

        var url = (await LinkAsync($"/api/v1/widget/attachments/{id}/link", session.Token)).ShouldBe(200).Data.GetProperty("url").GetString()!;
        Assert.That(backend.GetProperty("url").GetString(), Does.StartWith($"/api/v1/attachments/{id}/content"));
        using (var ok = await Api.Http.GetAsync(url))
        {
            Assert.That(ok.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var otherId = (await VisitorUploadAsync(other.Token, Png(20, 20), "theirs.png")).ShouldBe(201).Data.GetProperty("attachment_id").GetGuid();
        foreach (var bent in new[]
                 {
                     url.Replace(id.ToString(), otherId.ToString()), url.Replace("variant=original", "variant=thumbnail"),
                     url[..^4] + "0000", System.Text.RegularExpressions.Regex.Replace(url, "expires=\\d+", "expires=99999999999"),
                 })
        {
            using var refused = await Api.Http.GetAsync(bent);
            Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), bent);
        }

        RelayFactory.Shared.Clock.Set(DateTimeOffset.UtcNow.AddMinutes(10));
        try
        {
            using var expired = await Api.Http.GetAsync(url);
            Assert.That(expired.StatusCode, Is.EqualTo(HttpStatusCode.NotFound), "links are short-lived");
        }
        finally
        {
            RelayFactory.Shared.Clock.Resume();
        }
    }

    [Test]
    public async Task BadUploadsGetClearErrorsAndStoreNothing()
    {
        var session = await OpenSessionAsync();
        var executable = new byte[2048];
        "MZ"u8.CopyTo(executable);
        var broken = Png(50, 50)[..60];
        (await VisitorUploadAsync(session.Token, executable, "holiday.png")).ShouldBe(422, "validation_failed");
        (await VisitorUploadAsync(session.Token, [], "empty.png")).ShouldBe(422, "validation_failed");
        (await VisitorUploadAsync(session.Token, broken, "broken.png")).ShouldBe(422, "validation_failed");
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { max_attachment_bytes = 2048 })).ShouldBe(200);
        (await VisitorUploadAsync(session.Token, Png(400, 400).Concat(new byte[4096]).ToArray(), "big.png")).ShouldBe(413, "payload_too_large");
        Assert.That(await StoredAsync(session.SessionId), Is.Zero);

        var noToken = new HttpRequestMessage(HttpMethod.Post, "/api/v1/widget/attachments") { Content = File(Png(5, 5), "x.png") };
        (await Api.SendAsync(noToken)).ShouldBe(401, "unauthorized");
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { feature_flags = new { attachments = false } })).ShouldBe(200);
        (await VisitorUploadAsync(session.Token, Png(5, 5), "x.png")).ShouldBe(403, "attachments_disabled");
        Assert.That(await StoredAsync(session.SessionId), Is.Zero);
    }

    [Test]
    public async Task TheOperatorAndTheBackendUploadIntoTheConversationAndTheVisitorGetsThem()
    {
        var session = await OpenSessionAsync();
        var operatorToken = await OperatorTokenAsync(null);
        var pdf = "%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF"u8.ToArray();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/operator/attachments?session_id={session.SessionId}")
        {
            Content = File(pdf, "invoice.pdf", "application/octet-stream"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", operatorToken);
        var fromOperator = (await Api.SendAsync(request)).ShouldBe(201).Data;
        Assert.That(fromOperator.GetProperty("content_type").GetString(), Is.EqualTo("application/pdf"), "the type from the bytes, not the client's");
        Assert.That(fromOperator.GetProperty("thumbnail").GetBoolean(), Is.False);

        var signed = await Api.SignedMultipartAsync(Tenant, $"/api/v1/relay/sessions/{session.SessionId}/attachments", File(Png(8, 8), "label.png"));
        var fromBackend = signed.ShouldBe(201).Data;
        foreach (var id in new[] { fromOperator.GetProperty("attachment_id").GetGuid(), fromBackend.GetProperty("attachment_id").GetGuid() })
        {
            var link = (await LinkAsync($"/api/v1/widget/attachments/{id}/link", session.Token)).ShouldBe(200).Data;
            using var file = await Api.Http.GetAsync(link.GetProperty("url").GetString());
            Assert.That(file.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }

        var backendId = fromBackend.GetProperty("attachment_id").GetGuid();
        (await Api.SignedAsync(Tenant, HttpMethod.Post, $"/api/v1/relay/sessions/{session.SessionId}/messages",
            new { text = "Your return label", sender = new { type = "bot" }, attachments = new[] { backendId } })).ShouldBe(201);
        var visitor = await ConnectAsync("/hubs/visitor", session.Token);
        var history = (await InvokeAsync(visitor, "History", new { after_seq = 0 })).EnumerateArray().ToList();
        Assert.That(history.Single(m => m.GetProperty("text").GetString() == "Your return label").GetProperty("attachments")[0]
            .GetProperty("attachment_id").GetGuid(), Is.EqualTo(backendId), "a backend message carries the backend's upload");

        using var pdfFile = await Api.Http.GetAsync((await LinkAsync($"/api/v1/widget/attachments/{fromOperator.GetProperty("attachment_id").GetGuid()}/link",
            session.Token)).Data.GetProperty("url").GetString());
        Assert.That(pdfFile.Content.Headers.ContentDisposition!.DispositionType, Is.EqualTo("attachment"), "documents download, never render");
        Assert.That(await pdfFile.Content.ReadAsByteArrayAsync(), Is.EqualTo(pdf));
    }
}
