using System.Text;
using System.Text.Json;
using Bloonio.Relay.Tests.Infrastructure;
using Bloonio.Relay.Web.Hosting;
using Microsoft.Extensions.DependencyInjection;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Widget;

/// <summary>Business hours and offline messages: the widget is told whether a human can answer, and a message left gets a ticket.</summary>
public sealed class AvailabilityTests : TenantTestBase
{
    private HttpRequestMessage Widget(HttpMethod method, string path, object? body = null)
    {
        var request = new HttpRequestMessage(method, path)
        {
            Content = body is null ? null : new StringContent(JsonSerializer.Serialize(body, RelayApi.SnakeCase), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Bloonio-Widget-Key", Tenant.WidgetKey);
        request.Headers.Add("Origin", "https://shop.example.com");
        return request;
    }

    [Test]
    public async Task OutsideHoursTheWidgetIsToldAndAnOfflineMessageBecomesATicket()
    {
        var today = DateTime.UtcNow.ToString("yyyy-MM-dd");
        var week = new[] { "sun", "mon", "tue", "wed", "thu", "fri", "sat" }.ToDictionary(d => d, _ => new[] { "00:00-23:59" });
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { hours = new { time_zone = "UTC", weekly = week, holidays = new[] { today } } })).ShouldBe(200);

        var config = (await Api.SendAsync(Widget(HttpMethod.Get, "/api/v1/widget/config"))).ShouldBe(200).Data.GetProperty("availability");
        Assert.That(config.GetProperty("open").GetBoolean(), Is.False, "a holiday");
        Assert.That(config.GetProperty("next_open_at").GetDateTimeOffset(), Is.EqualTo(new DateTimeOffset(DateTime.UtcNow.Date.AddDays(1), TimeSpan.Zero)));
        Assert.That(config.GetProperty("operators_online").GetBoolean(), Is.False);

        (await Api.SendAsync(Widget(HttpMethod.Post, "/api/v1/widget/offline-messages", new { email = "not-an-email", text = "Hi" })))
            .ShouldBe(422, "validation_failed");
        var left = (await Api.SendAsync(Widget(HttpMethod.Post, "/api/v1/widget/offline-messages",
            new { email = "Ada@Example.com", display_name = "Ada", text = "Please call me back about order 42" }))).ShouldBe(201).Data;
        var sessionId = left.GetProperty("session_id").GetGuid();
        Assert.That(left.GetProperty("email").GetString(), Is.EqualTo("ada@example.com"));

        var offline = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/sessions?offline=true")).ShouldBe(200).Data.GetProperty("items");
        var item = offline.EnumerateArray().Single();
        Assert.That(item.GetProperty("session_id").GetGuid(), Is.EqualTo(sessionId));
        Assert.That(item.GetProperty("status").GetString(), Is.EqualTo("closed"));
        Assert.That(item.GetProperty("preview").GetString(), Does.Contain("order 42"));

        await RelayFactory.Shared.Services.GetRequiredService<EventDispatcher>().RunOnceAsync(default); // the brain's ticket consumer
        var session = (await Api.SignedAsync(Tenant, HttpMethod.Get, $"/api/v1/relay/sessions/{sessionId}")).ShouldBe(200).Data;
        Assert.That(session.GetProperty("ticket_id").GetString(), Does.StartWith("dev-"), "a ticket through the brain");
        var feed = (await Api.SignedAsync(Tenant, HttpMethod.Get, "/api/v1/relay/events?after=0")).ShouldBe(200).Data.GetProperty("events");
        var evt = feed.EnumerateArray().Single(e => e.GetProperty("type").GetString() == "session.offline_message").GetProperty("data");
        Assert.That(evt.GetProperty("email").GetString(), Is.EqualTo("ada@example.com"));

        // Clearing the hours (a schedule without days) makes the tenant always open again.
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}", new { hours = new { weekly = new { } } })).ShouldBe(200);
        Assert.That((await Api.SendAsync(Widget(HttpMethod.Get, "/api/v1/widget/config"))).ShouldBe(200).Data.GetProperty("availability")
            .GetProperty("open").GetBoolean(), Is.True);
    }

    [Test]
    public async Task BadHoursAre422()
    {
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { hours = new { time_zone = "Nowhere/City", weekly = new { mon = new[] { "09:00-18:00" } } } })).ShouldBe(422, "validation_failed");
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Tenant.TenantId}",
            new { hours_by_routing_key = new Dictionary<string, object> { ["bad key!"] = new { weekly = new { } } } })).ShouldBe(422, "validation_failed");
    }
}
