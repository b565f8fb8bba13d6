using Microsoft.Playwright;
using NUnit.Framework;

namespace Bloonio.Relay.Tests.Browser;

/// <summary>Outside business hours the widget says so and takes a message; an operator finds it among offline messages.</summary>
[NonParallelizable]
public sealed class AvailabilityBrowserTests : BrowserTestBase
{
    [Test]
    public async Task AVisitorLeavesAMessageOutsideHoursAndAnOperatorSeesIt()
    {
        var key = $"off{Guid.NewGuid():N}"[..11];
        var week = new[] { "sun", "mon", "tue", "wed", "thu", "fri", "sat" }.ToDictionary(d => d, _ => new[] { "00:00-23:59" });
        (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Demo.TenantId}",
            new { hours = new { time_zone = "UTC", weekly = week, holidays = new[] { DateTime.UtcNow.ToString("yyyy-MM-dd") } } })).ShouldBe(200);
        try
        {
            var visitor = await NewPageAsync();
            await visitor.GotoAsync(BaseUrl + "/demo");
            await visitor.GetByTestId("launcher").ClickAsync();
            await Assertions.Expect(visitor.GetByTestId("away")).ToContainTextAsync("We are away right now. We are back");
            await Assertions.Expect(visitor.GetByTestId("human")).ToBeHiddenAsync();
            await visitor.GetByTestId("leave-message").ClickAsync();
            await visitor.GetByTestId("offline-email").FillAsync($"{key}@example.com");
            await visitor.GetByTestId("offline-text").FillAsync($"Please call me back, ref {key}");
            await visitor.GetByTestId("offline-send").ClickAsync();
            await Assertions.Expect(visitor.GetByTestId("offline-thanks")).ToHaveTextAsync($"Thank you! We will reply to {key}@example.com.");
            await ScreenshotAsync(visitor, "widget-offline-message");

            // The same in the visitor's language.
            var french = await NewPageAsync(locale: "fr-FR");
            await french.GotoAsync(BaseUrl + "/demo");
            await french.GetByTestId("launcher").ClickAsync();
            await Assertions.Expect(french.GetByTestId("away")).ToContainTextAsync("Nous sommes absents pour le moment. Retour");
            await Assertions.Expect(french.GetByTestId("leave-message")).ToHaveTextAsync("Laisser un message");

            var inbox = await NewPageAsync();
            await inbox.GotoAsync($"{BaseUrl}/operator#token={Uri.EscapeDataString(await OperatorTokenAsync($"off-{key}@acme.test", "Noor Haddad"))}");
            await Assertions.Expect(inbox.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
            await inbox.GetByTestId("search-status").SelectOptionAsync("offline");
            await inbox.GetByTestId("search").FillAsync(key);
            await inbox.GetByTestId("search").PressAsync("Enter");
            await Assertions.Expect(inbox.GetByTestId("search-result").First).ToContainTextAsync("offline message");
        }
        finally
        {
            (await Api.AdminAsync(HttpMethod.Patch, $"/api/v1/admin/tenants/{Demo.TenantId}", new { hours = new { weekly = new { } } })).ShouldBe(200);
        }
    }
}
