using System.Net.Http.Headers;
using System.Text;
using Bloonio.Relay.Core.Security;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Http;

/// <summary>SPEC 1 and 13: every failure of the request's shape is the envelope, never a 500.</summary>
public sealed class EnvelopeTests : TenantTestBase
{
    private const string FetchToken = "/api/v1/relay/fetch/operator-token";
    [TestCase("{\"email\": ")]
    [TestCase("{email: 'a@b.co'}")]
    [TestCase("[1, 2")]
    public async Task MalformedJsonIs400(string body) =>
        Assert.That((await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, body)).ShouldBe(400, "bad_request").Message,
            Is.EqualTo("Malformed JSON"));

    [Test]
    public async Task AValueOfTheWrongJsonTypeIs400NamingTheField()
    {
        var response = (await Api.SignedAsync(Tenant, HttpMethod.Post, "/api/v1/relay/provision/operator",
            """{"email": "a@b.co", "display_name": "A", "routing_keys": "store_1"}""")).ShouldBe(400, "bad_request");
        Assert.That(response.ErrorFields, Is.EqualTo(new[] { "routing_keys" }));
    }

    [Test]
    public async Task AnEmptyBodyIs400() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, "")).ShouldBe(400, "bad_request");

    [Test]
    public async Task AJsonNullBodyIs400() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, "null")).ShouldBe(400, "bad_request");

    [Test]
    public async Task AContentTypeOtherThanJsonIs400()
    {
        var response = (await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, """{"email": "a@b.co"}""",
            tweak: r => r.Content!.Headers.ContentType = new MediaTypeHeaderValue("text/plain"))).ShouldBe(400, "bad_request");
        Assert.That(response.Message, Does.Contain("application/json"));
    }

    [Test]
    public async Task UnknownFieldsAreIgnored() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, """{"email": "nobody@b.co", "extra": {"a": 1}}"""))
            .ShouldBe(404, "operator_not_found");

    [Test]
    public async Task AnUnknownApiRouteIs404() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/no-such-thing")).ShouldBe(404, "not_found");

    [Test]
    public async Task AnUnknownApiVersionIs404() =>
        (await Api.SendAsync(new HttpRequestMessage(HttpMethod.Get, "/api/v9/anything"))).ShouldBe(404, "not_found");

    [Test]
    public async Task AWrongMethodIs405() =>
        (await Api.SignedAsync(Tenant, HttpMethod.Delete, "/api/v1/relay/operators")).ShouldBe(405, "method_not_allowed");

    [Test]
    public async Task ABodyOver64KiBIs413WhateverItsSignature()
    {
        var body = "{\"email\": \"" + new string('a', 64 * 1024) + "@b.co\"}";
        var response = await Api.SendAsync(new HttpRequestMessage(HttpMethod.Post, FetchToken)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        });
        response.ShouldBe(413, "payload_too_large");
    }

    [Test]
    public async Task ABodyOfExactly64KiBIsRead()
    {
        var prefix = "{\"email\": \"nobody@b.co\", \"pad\": \"";
        var body = prefix + new string('p', 64 * 1024 - prefix.Length - 2) + "\"}";
        Assert.That(Encoding.UTF8.GetByteCount(body), Is.EqualTo(64 * 1024));
        (await Api.SignedAsync(Tenant, HttpMethod.Post, FetchToken, body)).ShouldBe(404, "operator_not_found");
    }

    [Test]
    public async Task AChunkedBodyOver64KiBIs413()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, FetchToken)
        {
            Content = new StreamContent(new MemoryStream(new byte[70 * 1024])),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TransferEncodingChunked = true;
        (await Api.SendAsync(request)).ShouldBe(413, "payload_too_large");
    }

    [Test]
    public async Task EveryResponseCarriesACorrelationId()
    {
        var response = await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators");
        Assert.That(response.Headers.GetValues("X-Correlation-Id").Single(), Is.Not.Empty);
    }

    [Test]
    public async Task AnUnexpectedExceptionIs500WithACorrelationIdAndNoInternals()
    {
        var logs = new LogCapture();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var handler = new RelayExceptionHandler(new Bloonio.Relay.Web.Hosting.DependencyOutages(TimeProvider.System, loggers.CreateLogger<Bloonio.Relay.Web.Hosting.DependencyOutages>()),
            loggers.CreateLogger<RelayExceptionHandler>());
        var context = new DefaultHttpContext { TraceIdentifier = "trace-42" };
        context.Response.Body = new MemoryStream();

        Assert.That(await handler.TryHandleAsync(context, new InvalidOperationException("secret internals: Host=db;Password=x"), default), Is.True);

        context.Response.Body.Position = 0;
        var body = await new StreamReader(context.Response.Body).ReadToEndAsync();
        Assert.Multiple(() =>
        {
            Assert.That(context.Response.StatusCode, Is.EqualTo(500));
            Assert.That(body, Does.Contain("\"status_code\":500").And.Contain("\"error_code\":\"internal_error\"").And.Contain("trace-42"));
            Assert.That(body, Does.Not.Contain("internals").And.Not.Contain("InvalidOperationException"));
            Assert.That(logs.Lines.Single(), Does.Contain("trace-42").And.Contain("secret internals"), "the detail goes to the log only");
        });
    }

    [Test]
    public async Task TheOperatorsPagesSignatureHeaderNameIsTheOneChecked() =>
        Assert.That((await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/operators", tweak: r =>
        {
            var value = r.Headers.GetValues(Hmac1.SignatureHeader).Single();
            r.Headers.Remove(Hmac1.SignatureHeader);
            r.Headers.Add("X-Signature", value);
        })).ShouldBe(401, "missing_signature").Message, Does.Contain("X-Bloonio-Signature"));
}
