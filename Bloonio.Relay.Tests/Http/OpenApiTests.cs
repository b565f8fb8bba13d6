using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Http;

/// <summary>The OpenAPI document describes the contract: HMAC#1 headers, the admin key, the error envelope, snake_case.</summary>
public sealed class OpenApiTests
{
    private static async Task<JsonElement> DocumentAsync()
    {
        var response = await RelayFactory.Shared.CreateClient().GetAsync("/openapi/v1.json");
        Assert.That((int)response.StatusCode, Is.EqualTo(200));
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Test]
    public async Task RelayOperationsDocumentTheThreeHmacHeadersAndTheirErrors()
    {
        var operation = (await DocumentAsync()).GetProperty("paths").GetProperty("/api/v1/relay/provision/operator").GetProperty("post");
        var headers = operation.GetProperty("parameters").EnumerateArray()
            .Where(p => p.GetProperty("in").GetString() == "header").Select(p => p.GetProperty("name").GetString());
        Assert.Multiple(() =>
        {
            Assert.That(headers, Is.SupersetOf(new[] { "X-Bloonio-Tenant-Id", "X-Bloonio-Timestamp", "X-Bloonio-Signature" }));
            Assert.That(operation.GetProperty("security")[0].TryGetProperty("hmac1", out _), Is.True);
            Assert.That(operation.GetProperty("responses").GetProperty("401").GetProperty("description").GetString(), Does.Contain("replayed_request"));
            Assert.That(operation.GetProperty("responses").TryGetProperty("422", out _), Is.True);
        });
    }

    [Test]
    public async Task AdminOperationsRequireTheBearerKey()
    {
        var document = await DocumentAsync();
        Assert.That(document.GetProperty("components").GetProperty("securitySchemes").TryGetProperty("adminKey", out _), Is.True);
        var operation = document.GetProperty("paths").GetProperty("/api/v1/admin/tenants").GetProperty("post");
        Assert.That(operation.GetProperty("security")[0].TryGetProperty("adminKey", out _), Is.True);
    }

    [Test]
    public async Task SchemasUseSnakeCase()
    {
        var properties = (await DocumentAsync()).GetProperty("components").GetProperty("schemas")
            .EnumerateObject().SelectMany(s => s.Value.TryGetProperty("properties", out var p) ? p.EnumerateObject().Select(x => x.Name) : []);
        Assert.That(properties, Is.Not.Empty.And.All.Match("^[a-z][a-z0-9_]*$"));
    }

    [Test]
    public async Task SwaggerUiIsServed() =>
        Assert.That((int)(await RelayFactory.Shared.CreateClient().GetAsync("/swagger/index.html")).StatusCode, Is.EqualTo(200));
}
